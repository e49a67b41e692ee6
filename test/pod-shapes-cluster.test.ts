/**
 * The pod-level shapes against the real kube-apiserver: everything they render is accepted by a
 * server-side dry run, and each spec `slipway validate` refuses for its mounts or ports is one the
 * API server refuses too (shown with the object the renderer used to make). A claim that holds data
 * survives a prune on the cluster path until its spec gives consent (`keep: false`).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeCluster } from "../src/cluster/kube-cluster.ts";
import type { KubeObject } from "../src/core/kube-object.ts";
import { render } from "../src/render/render.ts";
import { parseAppSpec, parsePlatform } from "../src/spec/parse.ts";
import { peerPath } from "../src/testing/peers.ts";
import { POD_SHAPES } from "./fixtures/pod-shapes-app.ts";
import {
  createNamespace,
  deleteNamespace,
  kubectl,
  release,
  uniqueName,
} from "./support/cluster-fixtures.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

const kubeconfig = testKubeconfig();
const dir = mkdtempSync(join(tmpdir(), "slipway-pod-shapes-"));
const namespace = uniqueName("pod-shapes");

const PLATFORM = `apiVersion: slipway.dev/v1
kind: Platform
clusters: [{ name: c1, gitops: { directory: gitops }, capabilities: { serviceMonitor: true } }]
channels: [{ name: develop, cluster: c1, domain: dev.example.com }]
rbac: { clusterRules: [{ team: core }] }
`;
const platform = parsePlatform(PLATFORM, "platform.yaml");
const HEAD = `apiVersion: slipway.dev/v1
kind: App
name: dash
team: core
image: { repository: reg.example.com/core/dash, tag: "2.0" }
`;

before(() => createNamespace(kubeconfig, namespace));
after(() => deleteNamespace(kubeconfig, namespace));

/** The API server's verdict on `object` in the test namespace, without storing it: "" or its reason. */
function serverRefusal(object: KubeObject): string {
  const file = join(dir, `${object.kind}-${object.metadata.name}.json`);
  const placed =
    object.metadata.namespace === undefined
      ? object
      : { ...object, metadata: { ...object.metadata, namespace } };
  writeFileSync(file, JSON.stringify(placed));
  const res = spawnSync(
    peerPath("kubectl"),
    ["--kubeconfig", kubeconfig, "create", "--dry-run=server", "-f", file],
    {
      encoding: "utf8",
    },
  );
  return res.status === 0 ? "" : res.stderr;
}

function renderApp(body: string): KubeObject[] {
  return render({ app: parseAppSpec(body, "slipway.yaml", platform), platform, target: "develop" }).objects;
}

test("every object of the pod-level shapes is accepted by the API server", () => {
  const clusterWide = `rbac: { clusterRules: [{ apiGroups: [""], resources: [nodes], verbs: [get, list] }] }\n`;
  const objects = [...renderApp(POD_SHAPES), ...renderApp(HEAD + clusterWide)];
  const kinds = new Set(objects.map((o) => o.kind));
  for (const kind of [
    "PersistentVolumeClaim",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
    "Deployment",
  ])
    assert.ok(kinds.has(kind), `renders a ${kind}`);
  // The test control plane has no Prometheus Operator CRD; its shape is checked by the unit tests.
  for (const object of objects.filter((o) => o.kind !== "ServiceMonitor")) {
    assert.equal(serverRefusal(object), "", `${object.kind}/${object.metadata.name}`);
  }
});

/** The Deployment's pod spec, to rebuild what an older renderer made of a spec. */
function podOf(objects: KubeObject[]) {
  const d = structuredClone(objects.find((o) => o.kind === "Deployment")!);
  return {
    d,
    pod: (d.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec,
  };
}
type Mount = { name: string; mountPath: string };

test("what validate refuses for mounts and ports, the API server refuses too", () => {
  const secretAt = (path: string) => `secrets: [{ name: s, file: s.enc.yaml, mountPath: ${path} }]\n`;
  const cases: {
    spec: string;
    twin: string;
    naive: (objects: KubeObject[]) => KubeObject;
    reason: RegExp;
  }[] = [
    {
      spec: secretAt("/tmp"),
      twin: secretAt("/run/s"),
      naive: (objects) => {
        const { d, pod } = podOf(objects);
        for (const m of pod.containers[0]!.volumeMounts as Mount[])
          if (m.mountPath === "/run/s") m.mountPath = "/tmp";
        return d;
      },
      reason: /mountPath: Invalid value: "\/tmp": must be unique/,
    },
    {
      spec: "secrets:\n  - { name: a, file: a.enc.yaml, mountPath: /run/s }\n  - { name: b, file: b.enc.yaml, mountPath: /run/s }\n",
      twin: "secrets:\n  - { name: a, file: a.enc.yaml, mountPath: /run/s }\n  - { name: b, file: b.enc.yaml, mountPath: /run/t }\n",
      naive: (objects) => {
        const { d, pod } = podOf(objects);
        for (const m of pod.containers[0]!.volumeMounts as Mount[])
          if (m.mountPath === "/run/t") m.mountPath = "/run/s";
        return d;
      },
      reason: /must be unique/,
    },
    {
      spec: "configFiles:\n  - { path: /etc/a.conf, content: a }\n  - { path: /etc/a.conf, content: b }\n",
      twin: "configFiles:\n  - { path: /etc/a.conf, content: a }\n  - { path: /etc/b.conf, content: b }\n",
      naive: (objects) => {
        const { d, pod } = podOf(objects);
        for (const m of pod.containers[0]!.volumeMounts as Mount[])
          if (m.mountPath === "/etc/b.conf") m.mountPath = "/etc/a.conf";
        return d;
      },
      reason: /must be unique/,
    },
    {
      spec: `configFiles: [{ path: /run/s, content: a }]\n${secretAt("/run/s")}`,
      twin: `configFiles: [{ path: /etc/s.conf, content: a }]\n${secretAt("/run/s")}`,
      naive: (objects) => {
        const { d, pod } = podOf(objects);
        for (const m of pod.containers[0]!.volumeMounts as Mount[])
          if (m.mountPath === "/etc/s.conf") m.mountPath = "/run/s";
        return d;
      },
      reason: /must be unique/,
    },
    {
      spec: "ports: [{ name: http, port: 80 }, { name: http, port: 81 }]\n",
      twin: "ports: [{ name: http, port: 80 }, { name: other, port: 81 }]\n",
      naive: (objects) => {
        const { d, pod } = podOf(objects);
        (pod.containers[0]!.ports as { name: string }[])[1]!.name = "http";
        return d;
      },
      reason: /ports\[1\]\.name: Duplicate value: "http"/,
    },
    {
      spec: "ports: [{ name: a, port: 80 }, { name: b, port: 80 }]\n",
      twin: "ports: [{ name: a, port: 80 }, { name: b, port: 81 }]\n",
      naive: (objects) => {
        const svc = structuredClone(objects.find((o) => o.kind === "Service")!);
        (svc.spec as { ports: { port: number }[] }).ports[1]!.port = 80;
        return svc;
      },
      reason: /spec\.ports\[1\]: Duplicate value/,
    },
  ];
  for (const c of cases) {
    assert.throws(
      () => renderApp(HEAD + c.spec),
      /slipway\.yaml|cannot render/,
      `Slipway refuses:\n${c.spec}`,
    );
    const twin = renderApp(HEAD + c.twin);
    for (const o of twin)
      if (o.kind !== "ServiceMonitor") assert.equal(serverRefusal(o), "", `the twin's ${o.kind}`);
    assert.match(
      serverRefusal(c.naive(twin)),
      c.reason,
      `the API server refuses what was rendered for:\n${c.spec}`,
    );
  }
});

test("a claim that holds data survives prune until its spec consents with keep: false", async () => {
  const cluster = await KubeCluster.connect({ kubeconfig });
  const target = uniqueName("t");
  const claims = (volumes: string) =>
    renderApp(`${HEAD}volumes:\n${volumes}`)
      .filter((o) => o.kind === "PersistentVolumeClaim")
      .map((o) => ({
        ...o,
        metadata: {
          ...o.metadata,
          namespace,
          labels: { ...o.metadata.labels, "slipway.dev/target": target },
        },
      }));
  const apply = (objects: KubeObject[]) =>
    cluster.apply({
      scope: { app: "dash", target },
      objects,
      prune: true,
      allowEmpty: true,
      wait: false,
      release,
    });
  const live = () =>
    kubectl(kubeconfig, ["-n", namespace, "get", "pvc", "-l", `slipway.dev/target=${target}`, "-o", "name"])
      .split("\n")
      .filter(Boolean)
      .sort();

  const data = "  - { name: data, mountPath: /var/lib/dash, persistent: { size: 1Gi } }\n";
  const scratch = "  - { name: scratch, mountPath: /srv, persistent: { size: 1Gi, keep: false } }\n";
  await apply(claims(data + scratch));
  assert.deepEqual(live(), ["persistentvolumeclaim/dash-data", "persistentvolumeclaim/dash-scratch"]);

  const result = await apply(claims("  - { name: other, mountPath: /x, persistent: { size: 1Gi } }\n"));
  assert.ok(
    result.changes.every((c) => c.ref !== `PersistentVolumeClaim/${namespace}/dash-data`),
    "no delete planned for kept data",
  );
  const after = live();
  assert.ok(after.includes("persistentvolumeclaim/dash-data"), "the claim with data stays");
  assert.ok(!after.includes("persistentvolumeclaim/dash-scratch"), "the claim that consented is pruned");

  await apply(
    claims(
      data.replace("size: 1Gi", "size: 1Gi, keep: false") +
        "  - { name: other, mountPath: /x, persistent: { size: 1Gi } }\n",
    ),
  );
  await apply(claims("  - { name: other, mountPath: /x, persistent: { size: 1Gi } }\n"));
  // A deleted claim lingers a moment behind its protection finalizer.
  for (const end = Date.now() + 10_000; live().length > 1 && Date.now() < end; ) await sleep(200);
  assert.deepEqual(live(), ["persistentvolumeclaim/dash-other"], "consent given first, then the claim goes");
});
