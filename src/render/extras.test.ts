/**
 * The escape hatch: raw manifests and patches per app and per environment, applied after
 * rendering, held to the app's scope, schema-checked and policy-checked like every object, and
 * every refusal reported at the line of the manifest or patch that caused it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Problem, SlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import { policyGate } from "../policy/gate.ts";
import { type LoadedPlatform, parseAppSpec, parsePlatform } from "../spec/parse.ts";
import { render } from "./render.ts";
import { strategicMerge } from "./strategic-merge.ts";

const PLATFORM = `apiVersion: slipway.dev/v1
kind: Platform
clusters:
  - name: local
    gitops: { directory: gitops }
channels:
  - { name: develop, cluster: local, domain: develop.example.com }
  - { name: stable, cluster: local, domain: example.com, production: true, policy: { mode: enforce } }
previews: { cluster: local, domain: preview.example.com }
`;
const platform = parsePlatform(PLATFORM, "slipway.platform.yaml");
const allowing = parsePlatform(
  `${PLATFORM}rawManifests:\n  allow:\n    - { kind: ClusterRole, team: commerce, apps: [cart] }\n    - { kind: ServiceMonitor, namespaces: [monitoring] }\n`,
  "slipway.platform.yaml",
);

const HEAD = `apiVersion: slipway.dev/v1
kind: App
name: cart
team: commerce
image: { repository: registry.example.com/cart, tag: "1" }
ports: [{ name: http, port: 8080 }]
env: { A: "1", B: "2" }
`;
const HEAD_LINES = HEAD.split("\n").length - 1;

function objects(body: string, target = "develop", on: LoadedPlatform = platform): KubeObject[] {
  const app = parseAppSpec(HEAD + body, "slipway.yaml", on);
  return render({ app, platform: on, target }).objects;
}

function find(all: readonly KubeObject[], kind: string, name?: string): KubeObject {
  const found = all.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.ok(found, `no ${kind} ${name ?? ""}`);
  return found;
}

/** The problems of rendering (or parsing) the app; fails when it is accepted. */
function problems(body: string, target = "develop", on: LoadedPlatform = platform): Problem[] {
  try {
    objects(body, target, on);
  } catch (error) {
    assert.ok(error instanceof SlipwayError, String(error));
    assert.ok(error.problems.length > 0, error.message);
    return [...error.problems];
  }
  assert.fail("expected a refusal");
}

const pod = (o: KubeObject) =>
  (o.spec as { template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } })
    .template.spec;

const PDB = `manifests:
  budget:
    apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata: { name: cart--budget, labels: { tier: web } }
    spec: { minAvailable: 1, selector: { matchLabels: { app.kubernetes.io/name: cart } } }
  data:
    apiVersion: v1
    kind: PersistentVolumeClaim
    metadata: { name: cart--data }
    spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
`;

test("a manifest lands in the app's namespace with the app's labels, in kind order; a claim is kept", () => {
  const all = objects(PDB);
  const budget = find(all, "PodDisruptionBudget", "cart--budget");
  const service = find(all, "Service");
  assert.equal(budget.metadata.namespace, service.metadata.namespace);
  assert.equal(budget.metadata.labels?.tier, "web", "its own labels stay");
  assert.equal(budget.metadata.labels?.["slipway.dev/app"], "cart");
  assert.equal(budget.metadata.labels?.["slipway.dev/target"], "develop");
  const claim = find(all, "PersistentVolumeClaim", "cart--data");
  assert.equal(claim.metadata.annotations?.["slipway.dev/keep"], "true", "data is never pruned unasked");
  const kinds = all.map((o) => o.kind);
  assert.ok(kinds.indexOf("PersistentVolumeClaim") < kinds.indexOf("Deployment"), kinds.join(" "));
});

test("a cluster-scoped kind or another namespace is refused at its line, unless the platform allows it", () => {
  const clusterRole = `manifests:
  reader:
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    metadata: { name: cart--reader }
    rules: [{ apiGroups: [""], resources: [nodes], verbs: [get] }]
`;
  const [refused] = problems(clusterRole);
  assert.equal(refused?.path, "manifests.reader.kind");
  assert.equal(refused?.line, HEAD_LINES + 4);
  assert.match(
    refused?.message ?? "",
    /cluster-scoped.*rawManifests\.allow: \[\{ kind: ClusterRole, team: commerce, apps: \[cart\] \}\]/,
  );
  const role = find(objects(clusterRole, "develop", allowing), "ClusterRole");
  assert.equal(role.metadata.namespace, undefined, "a cluster-scoped object has no namespace");

  const elsewhere = `manifests:
  scrape:
    apiVersion: monitoring.coreos.com/v1
    kind: ServiceMonitor
    metadata: { name: cart, namespace: monitoring }
    spec: { selector: { matchLabels: { app.kubernetes.io/name: cart } }, endpoints: [{ port: http }] }
`;
  const [other] = problems(elsewhere);
  assert.equal(other?.path, "manifests.scrape.metadata.namespace");
  assert.equal(other?.line, HEAD_LINES + 5);
  assert.equal(
    find(objects(elsewhere, "develop", allowing), "ServiceMonitor").metadata.namespace,
    "monitoring",
  );
});

test("a manifest may not be a Secret, another app's object, or an object Slipway renders", () => {
  const secret = problems(
    `manifests:\n  s:\n    apiVersion: v1\n    kind: Secret\n    metadata: { name: cart--s }\n    stringData: { token: x }\n`,
  );
  assert.equal(secret[0]?.path, "manifests.s.kind");
  assert.match(secret[0]?.message ?? "", /SOPS file under `secrets:`/);
  assert.ok(!JSON.stringify(secret).includes('"x"'), "the value is not echoed");

  const foreign = problems(
    `manifests:\n  c:\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: { name: orders-config }\n`,
  );
  assert.equal(foreign[0]?.path, "manifests.c.metadata.name");
  assert.match(foreign[0]?.message ?? "", /`cart--<anything>`/);

  const twin = problems(
    `manifests:\n  svc:\n    apiVersion: v1\n    kind: Service\n    metadata: { name: cart }\n    spec: { ports: [{ port: 80 }] }\n`,
  );
  assert.match(twin[0]?.message ?? "", /renders Service\/cart-develop\/cart already: change it with a patch/);

  const label = problems(
    `manifests:\n  c:\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: { name: cart--c, labels: { slipway.dev/app: orders } }\n`,
  );
  assert.equal(label[0]?.path, "manifests.c.metadata.labels.slipway.dev/app");
});

test("a strategic merge patch merges containers, env and volumes by name; $patch: delete removes", () => {
  const all = objects(`patches:
  shm:
    target: { kind: Deployment, name: cart }
    strategicMerge:
      spec:
        template:
          spec:
            hostAliases: [{ ip: 10.0.0.1, hostnames: [db.local] }]
            volumes: [{ name: shm, emptyDir: { medium: Memory } }]
            containers:
              - name: cart
                volumeMounts: [{ name: shm, mountPath: /dev/shm }]
                env: [{ name: B, $patch: delete }, { name: C, value: "3" }]
`);
  const spec = pod(find(all, "Deployment"));
  const container = spec.containers[0] as {
    name: string;
    env: { name: string }[];
    volumeMounts: { mountPath: string }[];
    image: string;
  };
  assert.equal(spec.containers.length, 1, "merged into the container, not added beside it");
  assert.ok(container.image.startsWith("registry.example.com/cart"), "the rest of the container stays");
  assert.deepEqual(
    container.env.map((e) => e.name).filter((n) => ["A", "B", "C"].includes(n)),
    ["A", "C"],
  );
  assert.ok(container.volumeMounts.some((m) => m.mountPath === "/dev/shm"));
  assert.ok(
    container.volumeMounts.some((m) => m.mountPath === "/tmp"),
    "Slipway's own mounts stay",
  );
  assert.ok((spec.volumes as { name: string }[]).some((v) => v.name === "tmp"));
  assert.deepEqual(spec.hostAliases, [{ ip: "10.0.0.1", hostnames: ["db.local"] }]);
});

test("strategic merge: ports by containerPort in a container and by port in a Service, maps replaced on request", () => {
  const container = { name: "app", ports: [{ containerPort: 80, name: "http" }] };
  assert.deepEqual(
    strategicMerge(container, { ports: [{ containerPort: 80, protocol: "TCP" }, { containerPort: 90 }] }),
    {
      name: "app",
      ports: [{ containerPort: 80, name: "http", protocol: "TCP" }, { containerPort: 90 }],
    },
  );
  const service = { ports: [{ port: 80, targetPort: 8080 }] };
  assert.deepEqual(strategicMerge(service, { ports: [{ port: 80, name: "web" }] }), {
    ports: [{ port: 80, targetPort: 8080, name: "web" }],
  });
  assert.deepEqual(strategicMerge({ a: { b: 1, c: 2 } }, { a: { $patch: "replace", d: 3 } }), {
    a: { d: 3 },
  });
  assert.deepEqual(
    strategicMerge({ args: ["a", "b"] }, { args: ["c"] }),
    { args: ["c"] },
    "other lists replace",
  );
  assert.deepEqual(strategicMerge({ a: 1, b: 2 }, { a: null }), { b: 2 });
  assert.deepEqual(strategicMerge({ constructor: [1] }, { constructor: [2] }), { constructor: [2] });
});

test("a JSON patch applies in order; a failing operation is reported at its own line", () => {
  const all = objects(`patches:
  dns:
    target: { kind: Deployment }
    jsonPatch:
      - { op: add, path: /spec/template/spec/dnsPolicy, value: None }
      - { op: add, path: /spec/template/spec/dnsConfig, value: { nameservers: [1.1.1.1] } }
`);
  assert.equal(pod(find(all, "Deployment")).dnsPolicy, "None");
  const [failed] = problems(`patches:
  dns:
    target: { kind: Deployment }
    jsonPatch:
      - { op: add, path: /spec/template/spec/dnsPolicy, value: None }
      - { op: replace, path: /spec/template/spec/nothing/here, value: 1 }
`);
  assert.equal(failed?.path, "patches.dns.jsonPatch[1]");
  assert.equal(failed?.line, HEAD_LINES + 6);
  assert.match(
    failed?.message ?? "",
    /`replace \/spec\/template\/spec\/nothing\/here`: nothing is at that path/,
  );
});

test("a patch that makes an object invalid is a located error naming the patch", () => {
  const [invalid] = problems(`patches:
  broken:
    target: { kind: Deployment, name: cart }
    strategicMerge: { spec: { replicas: many } }
`);
  assert.equal(invalid?.path, "patches.broken.strategicMerge");
  assert.equal(invalid?.file, "slipway.yaml");
  assert.equal(invalid?.line, HEAD_LINES + 4);
  assert.match(
    invalid?.message ?? "",
    /patch `broken` makes Deployment\/cart-develop\/cart invalid: \/spec\/replicas must be integer/,
  );
});

test("a patch cannot reach another app's objects, rename one, or change the slipway.dev labels", () => {
  const [none] = problems(
    `patches:\n  p:\n    target: { kind: Deployment, name: orders }\n    strategicMerge: { metadata: { annotations: { a: b } } }\n`,
  );
  assert.equal(none?.path, "patches.p.target");
  assert.match(none?.message ?? "", /matches no object.*its Deployment objects: cart/);

  const [renamed] = problems(
    `patches:\n  p:\n    target: { kind: Service }\n    jsonPatch: [{ op: replace, path: /metadata/name, value: orders }]\n`,
  );
  assert.match(renamed?.message ?? "", /may not change metadata\.name/);

  const [relabelled] = problems(
    `patches:\n  p:\n    target: { kind: Deployment }\n    strategicMerge: { spec: { template: { metadata: { labels: { slipway.dev/app: orders } } } } }\n`,
  );
  assert.match(relabelled?.message ?? "", /may not change the slipway\.dev\/\* labels/);

  const [moved] = problems(
    `patches:\n  p:\n    target: { kind: Service }\n    strategicMerge: { metadata: { namespace: kube-system } }\n`,
  );
  assert.match(moved?.message ?? "", /may not change metadata\.namespace \(Service\/cart-develop\/cart\)/);
});

test("per environment: an override adds a patch, changes a manifest or removes one with null", () => {
  const body = `${PDB}environments:
  stable:
    manifests:
      budget: { spec: { minAvailable: 2 } }
    patches:
      stable-only:
        target: { kind: Deployment }
        strategicMerge: { spec: { template: { spec: { priorityClassName: high } } } }
  preview:
    manifests: { budget: null }
`;
  const budget = (target: string) =>
    objects(body, target).find((o) => o.kind === "PodDisruptionBudget" && o.metadata.name === "cart--budget");
  const minAvailable = (target: string) =>
    (budget(target)?.spec as { minAvailable?: number } | undefined)?.minAvailable;
  assert.equal(minAvailable("develop"), 1);
  assert.equal(minAvailable("stable"), 2);
  assert.equal(budget("preview:x"), undefined);
  assert.equal(pod(find(objects(body, "stable"), "Deployment")).priorityClassName, "high");
  assert.equal(pod(find(objects(body, "develop"), "Deployment")).priorityClassName, undefined);
  const [inOverride] = problems(
    `environments:\n  stable:\n    patches:\n      p: { target: { kind: Job }, strategicMerge: {} }\n`,
    "stable",
  );
  assert.equal(inOverride?.path, "environments.stable.patches.p.target");
  assert.equal(inOverride?.line, HEAD_LINES + 4);
});

test("what a patch or manifest brings is checked by policy like every rendered object", () => {
  const app = parseAppSpec(
    `${HEAD}patches:\n  root:\n    target: { kind: Deployment }\n    strategicMerge: { spec: { template: { spec: { containers: [{ name: cart, securityContext: { privileged: true } }] } } } }\n`,
    "slipway.yaml",
    platform,
  );
  const { objects: all } = render({ app, platform, target: "stable" });
  const verdict = policyGate({
    objects: all,
    platform: platform.platform,
    app: app.spec,
    target: { kind: "channel", name: "stable" },
    today: "2030-01-01",
  });
  assert.equal(verdict.passed, false);
  assert.ok(
    verdict.blocking.some((f) => /privileged/i.test(`${f.ruleId} ${f.message}`)),
    JSON.stringify(verdict.blocking),
  );
});

test("a manifest's shape is checked at parse time, each field at its line", () => {
  let error: unknown;
  try {
    parseAppSpec(
      `${HEAD}manifests:\n  x:\n    kind: configmap\n    metadata: { generateName: cart- }\n`,
      "slipway.yaml",
      platform,
    );
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof SlipwayError);
  const paths = error.problems.map((p) => p.path).sort();
  assert.deepEqual(paths, [
    "manifests.x.apiVersion",
    "manifests.x.kind",
    "manifests.x.metadata.generateName",
    "manifests.x.metadata.name",
  ]);
});

test("a kind Slipway has no schema for needs the platform's word, since only the cluster knows its scope", () => {
  const global = `manifests:
  deny:
    apiVersion: crd.projectcalico.org/v1
    kind: GlobalNetworkPolicy
    metadata: { name: cart--deny }
    spec: { selector: all() }
`;
  const [problem, ...rest] = problems(global);
  assert.deepEqual(rest, []);
  assert.equal(problem?.path, "manifests.deny.kind");
  assert.match(
    problem?.message ?? "",
    /GlobalNetworkPolicy \(crd\.projectcalico\.org\/v1\) is not a built-in kind, so Slipway cannot tell whether it is cluster-scoped: the platform file must allow it/,
  );
  const granting = parsePlatform(
    `${PLATFORM}rawManifests:\n  allow:\n    - { kind: GlobalNetworkPolicy, team: commerce, apps: [cart] }\n`,
    "slipway.platform.yaml",
  );
  assert.equal(find(objects(global, "develop", granting), "GlobalNetworkPolicy").metadata.name, "cart--deny");
});
