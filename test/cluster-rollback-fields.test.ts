/**
 * A rollback puts back what the failed revision took over from another field manager, on the real
 * test control plane: `kubectl scale` set the replicas, the failed deploy took them with its
 * forced apply, and the rollback restores the scaled value (not the default of 1).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { KubeCluster } from "../src/cluster/kube-cluster.ts";
import { isSlipwayError, type SlipwayError } from "../src/core/errors.ts";
import {
  createNamespace,
  deleteNamespace,
  fixtureApp,
  kubectl,
  kubectlJson,
  release,
  uniqueName,
} from "./support/cluster-fixtures.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

const kubeconfig = testKubeconfig();
const namespace = uniqueName("rbfields");
const target = uniqueName("t");
let cluster: KubeCluster;

before(async () => {
  createNamespace(kubeconfig, namespace);
  cluster = await KubeCluster.connect({ kubeconfig });
});
after(() => deleteNamespace(kubeconfig, namespace));

const replicas = () =>
  kubectlJson<{ spec: { replicas: number } }>(kubeconfig, ["-n", namespace, "get", "deployment", "web"]).spec
    .replicas;

test("replicas set with kubectl scale and taken by a failed deploy come back with the rollback", async () => {
  const good = fixtureApp(namespace, "web", target, { image: "registry.example.com/web:1", replicas: 2 });
  const apply = (objects: typeof good, extra = {}) =>
    cluster.apply({ scope: { app: "web", target }, objects, prune: true, wait: true, release, ...extra });
  await apply(good);
  kubectl(kubeconfig, ["-n", namespace, "scale", "deployment", "web", "--replicas=3"]);
  assert.equal(replicas(), 3);
  const bad = fixtureApp(namespace, "web", target, {
    image: "registry.example.com/web:2",
    replicas: 2,
    failing: true,
  });
  let failure: SlipwayError | undefined;
  try {
    await apply(bad, { rollbackOnFailure: true, timeoutMs: 60_000 });
  } catch (e) {
    if (!isSlipwayError(e)) throw e;
    failure = e;
  }
  assert.ok(failure, "the failed rollout is still a failure");
  assert.equal(failure.details.rolledBack, true, failure.message);
  assert.equal(replicas(), 3, "the scaled replicas are back");
  const image = kubectl(kubeconfig, [
    "-n",
    namespace,
    "get",
    "deployment",
    "web",
    "-o",
    "jsonpath={.spec.template.spec.containers[0].image}",
  ]);
  assert.equal(image, "registry.example.com/web:1");
});
