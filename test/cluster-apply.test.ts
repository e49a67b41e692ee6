/**
 * Server-side apply, zero-write re-apply, drift correction and pruning against the real test
 * control plane, with the real kubectl as witness.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ClusterApplyRequest } from "../src/cluster/cluster.ts";
import { KubeCluster } from "../src/cluster/kube-cluster.ts";
import { isSlipwayError } from "../src/core/errors.ts";
import type { KubeObject } from "../src/core/kube-object.ts";
import {
  createNamespace,
  deleteNamespace,
  fixtureApp,
  kubectl,
  kubectlJson,
  release,
  resourceVersions,
  uniqueName,
} from "./support/cluster-fixtures.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

const kubeconfig = testKubeconfig();
const DEFAULT_IMAGE =
  "registry.example.com/demo@sha256:1111111111111111111111111111111111111111111111111111111111111111";
const namespace = uniqueName("apply");
const target = uniqueName("t");
let cluster: KubeCluster;

const request = (objects: KubeObject[], extra: Partial<ClusterApplyRequest> = {}): ClusterApplyRequest => ({
  scope: { app: "web", target },
  objects,
  prune: true,
  wait: false,
  release,
  ...extra,
});

before(async () => {
  createNamespace(kubeconfig, namespace);
  cluster = await KubeCluster.connect({ kubeconfig });
});
after(() => deleteNamespace(kubeconfig, namespace));

test("apply, re-apply, change, drift and prune, as kubectl sees them", async (t) => {
  const v1 = fixtureApp(namespace, "web", target, { withExtraConfigMap: true });

  await t.test("a first apply creates every object and the Deployment becomes available", async () => {
    const progress: string[] = [];
    const result = await cluster.apply(request(v1, { wait: true, onProgress: (e) => progress.push(e.type) }));
    assert.equal(result.stats.writes, 5);
    assert.ok(
      progress.includes("object") && progress.includes("replicas"),
      `progress events: ${progress.join(",")}`,
    );
    const d = kubectlJson<{ status: { availableReplicas?: number } }>(kubeconfig, [
      "-n",
      namespace,
      "get",
      "deployment",
      "web",
    ]);
    assert.equal(d.status.availableReplicas, 2);
  });

  await t.test("kubectl sees exactly what Slipway applied, owned by field manager slipway", () => {
    const cm = kubectlJson<KubeObject & { data: Record<string, string> }>(kubeconfig, [
      "-n",
      namespace,
      "get",
      "configmap",
      "web-config",
      "--show-managed-fields",
    ]);
    assert.deepEqual(cm.data, { greeting: "hello" });
    assert.equal(cm.metadata.labels?.["slipway.dev/target"], target);
    const managers = (cm.metadata.managedFields as { manager: string; operation: string }[]).map(
      (m) => `${m.manager}/${m.operation}`,
    );
    assert.deepEqual(managers, ["slipway/Apply"]);
    const image = kubectl(kubeconfig, [
      "-n",
      namespace,
      "get",
      "deployment",
      "web",
      "-o",
      "jsonpath={.spec.template.spec.containers[0].image}",
    ]);
    assert.equal(image, DEFAULT_IMAGE);
  });

  await t.test("an unchanged re-apply writes nothing: every resourceVersion stays", async () => {
    const before = resourceVersions(kubeconfig, namespace);
    const result = await cluster.apply(
      request(fixtureApp(namespace, "web", target, { withExtraConfigMap: true })),
    );
    assert.equal(result.stats.writes, 0);
    assert.equal(result.wrote, false);
    assert.deepEqual(resourceVersions(kubeconfig, namespace), before);
    assert.ok(result.changes.every((c) => c.action === "unchanged"));
  });

  await t.test("one changed object: only that object is written", async () => {
    const before = resourceVersions(kubeconfig, namespace);
    const result = await cluster.apply(
      request(fixtureApp(namespace, "web", target, { withExtraConfigMap: true, configValue: "bonjour" })),
    );
    assert.equal(result.stats.writes, 1);
    const after = resourceVersions(kubeconfig, namespace);
    const moved = [...after].filter(([ref, rv]) => before.get(ref) !== rv).map(([ref]) => ref);
    assert.deepEqual(moved, [`ConfigMap/${namespace}/web-config`]);
  });

  await t.test("drift behind Slipway's back is found and re-applied", async () => {
    kubectl(kubeconfig, ["-n", namespace, "scale", "deployment", "web", "--replicas=5"]);
    const result = await cluster.apply(
      request(fixtureApp(namespace, "web", target, { withExtraConfigMap: true, configValue: "bonjour" })),
    );
    assert.deepEqual(result.stats.drifted, [`Deployment/${namespace}/web (changed at .spec.replicas)`]);
    assert.equal(result.stats.writes, 1);
    const replicas = kubectl(kubeconfig, [
      "-n",
      namespace,
      "get",
      "deployment",
      "web",
      "-o",
      "jsonpath={.spec.replicas}",
    ]);
    assert.equal(replicas, "2");
  });

  await t.test(
    "an object no longer rendered is pruned; a foreign object with the same labels is not",
    async () => {
      kubectl(
        kubeconfig,
        ["apply", "-f", "-"],
        JSON.stringify({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: {
            name: "hand-made",
            namespace,
            labels: { "slipway.dev/app": "web", "slipway.dev/target": target },
          },
          data: { mine: "yes" },
        }),
      );
      const result = await cluster.apply(
        request(fixtureApp(namespace, "web", target, { configValue: "bonjour" })),
      );
      assert.deepEqual(
        result.changes.filter((c) => c.action === "delete").map((c) => c.ref),
        [`ConfigMap/${namespace}/web-extra`],
      );
      const names = kubectl(kubeconfig, ["-n", namespace, "get", "configmaps", "-o", "name"])
        .split("\n")
        .sort();
      assert.ok(!names.includes("configmap/web-extra"), names.join(" "));
      assert.ok(names.includes("configmap/hand-made"), "the object Slipway did not create is still there");
    },
  );

  await t.test("pruning a target to zero objects needs explicit consent", async () => {
    await assert.rejects(
      cluster.apply(request([])),
      (e: unknown) => isSlipwayError(e) && e.code === "SLIPWAY_E_INPUT" && /zero objects/.test(e.message),
    );
    assert.ok(
      kubectl(kubeconfig, ["-n", namespace, "get", "deployment", "web", "-o", "name"]).includes("web"),
    );
  });
});
