/**
 * Every example app in examples/, rendered by Slipway's renderer, deploys to the test control
 * plane and becomes available; a redeploy of the same render writes nothing.
 */
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { KubeCluster } from "../src/cluster/kube-cluster.ts";
import { render } from "../src/render/render.ts";
import { loadAppAndPlatform } from "../src/spec/files.ts";
import {
  createNamespace,
  deleteNamespace,
  kubectlJson,
  provideVolumes,
  release,
  uniqueName,
} from "./support/cluster-fixtures.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

const kubeconfig = testKubeconfig();
const examples = join(import.meta.dirname, "..", "examples");
const apps = readdirSync(examples).filter((d) => statSync(join(examples, d)).isDirectory());
const suffix = uniqueName("ex");
const namespaces = new Set<string>();
after(() => {
  for (const ns of namespaces) deleteNamespace(kubeconfig, ns);
});

test("the examples deploy and become available; a redeploy writes nothing", async () => {
  assert.ok(apps.length >= 3, `examples found: ${apps.join(", ")}`);
  const cluster = await KubeCluster.connect({ kubeconfig });
  for (const dir of apps) {
    const { app, platform } = loadAppAndPlatform(
      join(examples, dir),
      join(examples, "slipway.platform.yaml"),
    );
    const { objects } = render({ app, platform, target: "staging" });
    // A namespace of its own per run: the channel's namespace with a suffix.
    for (const o of objects) o.metadata.namespace = `${o.metadata.namespace}-${suffix}`;
    const ns = objects[0]?.metadata.namespace ?? "";
    if (!namespaces.has(ns)) createNamespace(kubeconfig, ns);
    namespaces.add(ns);
    provideVolumes(kubeconfig, objects);
    const req = {
      scope: { app: app.spec.name, target: "staging" },
      objects,
      prune: true,
      wait: true,
      release,
    };
    const first = await cluster.apply(req);
    assert.equal(first.stats.writes, objects.length, `${dir}: every object created`);
    const d = kubectlJson<{ spec: { replicas: number }; status: { availableReplicas?: number } }>(
      kubeconfig,
      ["-n", ns, "get", "deployment", app.spec.name],
    );
    assert.equal(d.status.availableReplicas, d.spec.replicas, `${dir}: available`);
    const again = await cluster.apply({ ...req, wait: false });
    assert.equal(again.stats.writes, 0, `${dir}: unchanged redeploy writes nothing`);
  }
});
