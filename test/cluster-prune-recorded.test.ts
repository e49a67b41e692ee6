/**
 * What a deploy applies beyond the kinds Slipway renders — a ClusterRole and its binding
 * (`rbac.clusterRules`), an object of another kind or in another namespace (raw manifests) — is
 * pruned once it leaves the render, like everything else: the app's ServiceAccount records where
 * to look (src/cluster/inventory.ts). Before, such objects were never listed again and stayed,
 * with whatever they granted.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ClusterApplyRequest } from "../src/cluster/cluster.ts";
import { KubeCluster } from "../src/cluster/kube-cluster.ts";
import type { KubeObject } from "../src/core/kube-object.ts";
import {
  createNamespace,
  deleteNamespace,
  fixtureApp,
  kubectl,
  release,
  uniqueName,
} from "./support/cluster-fixtures.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

const kubeconfig = testKubeconfig();
const namespace = uniqueName("recorded");
const other = uniqueName("elsewhere");
const target = uniqueName("t");
const app = "keeper";
const cluster = `${namespace}--${app}`;
let kube: KubeCluster;

before(async () => {
  createNamespace(kubeconfig, namespace);
  createNamespace(kubeconfig, other);
  kube = await KubeCluster.connect({ kubeconfig });
});
after(() => {
  deleteNamespace(kubeconfig, namespace);
  deleteNamespace(kubeconfig, other);
  for (const kind of ["clusterrolebinding", "clusterrole"])
    kubectl(kubeconfig, ["delete", kind, cluster, "--ignore-not-found"]);
});

const labels = { "slipway.dev/app": app, "slipway.dev/target": target };
const beyond: KubeObject[] = [
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: cluster, labels },
    rules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["get"] }],
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: cluster, labels },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: cluster },
    subjects: [{ kind: "ServiceAccount", name: app, namespace }],
  },
  // A kind Slipway does not render, in the app's namespace.
  {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: `${app}--leader`, namespace, labels },
    spec: { holderIdentity: "nobody" },
  },
  // A kind it renders, in another namespace.
  {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `${app}--dashboards`, namespace: other, labels },
    data: { board: "{}" },
  },
];
const request = (objects: KubeObject[], prune: boolean): ClusterApplyRequest => ({
  scope: { app, target },
  objects,
  prune,
  wait: false,
  release,
});
const exists = (args: string[]) =>
  kubectl(kubeconfig, ["get", ...args, "--ignore-not-found", "-o", "name"]).trim() !== "";
const present = () => ({
  clusterRole: exists(["clusterrole", cluster]),
  binding: exists(["clusterrolebinding", cluster]),
  lease: exists(["-n", namespace, "lease", `${app}--leader`]),
  elsewhere: exists(["-n", other, "configmap", `${app}--dashboards`]),
});

test("a ClusterRole, its binding, a Lease and a ConfigMap in another namespace are pruned once they leave the render", async () => {
  const base = fixtureApp(namespace, app, target, { replicas: 1 });
  await kube.apply(request([...base, ...beyond], true));
  assert.deepEqual(present(), { clusterRole: true, binding: true, lease: true, elsewhere: true });

  // Without pruning they stay, and so does the record of where they are.
  await kube.apply(request(base, false));
  assert.deepEqual(present(), { clusterRole: true, binding: true, lease: true, elsewhere: true });

  const result = await kube.apply(request(base, true));
  assert.deepEqual(present(), { clusterRole: false, binding: false, lease: false, elsewhere: false });
  assert.deepEqual(
    result.changes
      .filter((c) => c.action === "delete")
      .map((c) => c.ref.split("/")[0])
      .sort(),
    ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "Lease"],
  );
  // Nothing left to record: an unchanged apply writes nothing and sends no extra list.
  const again = await kube.apply(request(base, true));
  assert.equal(again.stats.writes, 0);
});
