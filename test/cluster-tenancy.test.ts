/**
 * Two teams on one cluster, against the real test control plane: finance's app `ledger` is
 * deployed; commerce's `shop` (a preview, or an app in the same channel) renders finance's
 * ServiceAccount, namespace or app name. Each attempt is a conflict naming the owner, finance's
 * objects are left exactly as they were, and commerce's later `--prune` does not delete them.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ClusterApplyRequest } from "../src/cluster/cluster.ts";
import { KubeCluster } from "../src/cluster/kube-cluster.ts";
import { isSlipwayError } from "../src/core/errors.ts";
import type { KubeObject } from "../src/core/kube-object.ts";
import type { DeployScope } from "../src/delivery/deploy-target.ts";
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
const financeNs = uniqueName("finance");
const commerceNs = uniqueName("commerce");
const stable = uniqueName("stable");
const preview = uniqueName("preview");
const ledger: DeployScope = { app: "ledger", target: stable, team: "finance" };
const shopPreview: DeployScope = { app: "shop", target: preview, team: "commerce" };
const namespaces = [financeNs, commerceNs];
let cluster: KubeCluster;

const request = (scope: DeployScope, objects: KubeObject[], extra: Partial<ClusterApplyRequest> = {}) => ({
  scope,
  objects,
  prune: false,
  wait: false,
  release,
  ...extra,
});

/** A fixture app with the team label the renderer puts on every object. */
function app(namespace: string, scope: DeployScope): KubeObject[] {
  return fixtureApp(namespace, scope.app, scope.target).map((o) => ({
    ...o,
    metadata: { ...o.metadata, labels: { ...o.metadata.labels, "slipway.dev/team": scope.team ?? "" } },
  }));
}

/** A ServiceAccount of `scope` that names another app's account, as `serviceAccount.name` could. */
function account(namespace: string, name: string, scope: DeployScope): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: {
      name,
      namespace,
      labels: {
        "slipway.dev/app": scope.app,
        "slipway.dev/target": scope.target,
        "slipway.dev/team": scope.team ?? "",
      },
      annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::111111111111:role/commerce" },
    },
  };
}

const liveAccount = (namespace: string, name: string) =>
  kubectlJson(kubeconfig, ["-n", namespace, "get", "serviceaccount", name]);

function assertConflict(e: unknown, ...parts: string[]): true {
  assert.ok(isSlipwayError(e), String(e));
  assert.equal(e.code, "SLIPWAY_E_CONFLICT", e.message);
  for (const p of parts) assert.ok(e.message.includes(p), `${e.message}\n  should say: ${p}`);
  return true;
}

before(async () => {
  for (const ns of namespaces) createNamespace(kubeconfig, ns);
  cluster = await KubeCluster.connect({ kubeconfig });
  await cluster.apply(request(ledger, app(financeNs, ledger)));
});
after(() => {
  for (const ns of namespaces) deleteNamespace(kubeconfig, ns);
});

test("a preview of another team's app cannot take over its ServiceAccount, and its prune leaves it", async () => {
  const before = liveAccount(financeNs, "ledger");
  const attempt = [...app(commerceNs, shopPreview), account(financeNs, "ledger", shopPreview)];
  for (const extra of [{}, { forceConflicts: true }, { adopt: true }]) {
    await assert.rejects(cluster.apply(request(shopPreview, attempt, extra)), (e) =>
      assertConflict(
        e,
        `ServiceAccount/${financeNs}/ledger belongs to app ledger in target ${stable} (team finance)`,
        `app shop in target ${preview} (team commerce) may not take it over`,
      ),
    );
  }
  // Nothing of the refused apply was written: not even commerce's own objects.
  assert.equal(
    kubectl(kubeconfig, [
      "-n",
      commerceNs,
      "get",
      "serviceaccount,configmap",
      "-l",
      "slipway.dev/app=shop",
      "-o",
      "name",
    ]),
    "",
  );
  // Commerce deploys what is its own, with pruning; finance's account stays as it was.
  await cluster.apply(request(shopPreview, app(commerceNs, shopPreview), { prune: true }));
  const after = liveAccount(financeNs, "ledger");
  assert.equal(
    after.metadata.resourceVersion,
    before.metadata.resourceVersion,
    "finance's account is untouched",
  );
  assert.equal(after.metadata.labels?.["slipway.dev/app"], "ledger");
  assert.equal(after.metadata.annotations?.["eks.amazonaws.com/role-arn"], undefined);
});

test("another app in the same channel cannot take over the ServiceAccount either", async () => {
  const shop: DeployScope = { app: "shop", target: stable, team: "commerce" };
  const before = liveAccount(financeNs, "ledger");
  await assert.rejects(
    cluster.apply(
      request(shop, [...app(commerceNs, shop), account(financeNs, "ledger", shop)], { forceConflicts: true }),
    ),
    (e) =>
      assertConflict(
        e,
        `ServiceAccount/${financeNs}/ledger belongs to app ledger in target ${stable} (team finance)`,
      ),
  );
  assert.equal(liveAccount(financeNs, "ledger").metadata.resourceVersion, before.metadata.resourceVersion);
});

test("nor among several new objects of its kind, which are looked for with a list, not one by one", async () => {
  // Each deploy reads the live objects of its own app only: another app's of the same channel is
  // found among the objects it means to create, by the list of the channel's other apps' objects.
  const shop: DeployScope = { app: "shop", target: stable, team: "commerce" };
  const before = liveAccount(financeNs, "ledger");
  await assert.rejects(
    cluster.apply(
      request(shop, [
        ...app(commerceNs, shop),
        account(financeNs, "ledger", shop),
        account(financeNs, "shop-reports", shop),
      ]),
    ),
    (e) =>
      assertConflict(
        e,
        `ServiceAccount/${financeNs}/ledger belongs to app ledger in target ${stable} (team finance)`,
      ),
  );
  assert.equal(liveAccount(financeNs, "ledger").metadata.resourceVersion, before.metadata.resourceVersion);
  const created = kubectl(kubeconfig, [
    "-n",
    financeNs,
    "get",
    "serviceaccount",
    "--ignore-not-found",
    "-o",
    "name",
  ]);
  assert.ok(!created.includes("shop-reports"), `nothing of the refused deploy was created:\n${created}`);
});

test("an app of the same name from another team is refused, naming both teams", async () => {
  const squatter: DeployScope = { app: "ledger", target: stable, team: "commerce" };
  await assert.rejects(cluster.apply(request(squatter, app(financeNs, squatter), { prune: true })), (e) =>
    assertConflict(e, "was deployed for team finance, but app ledger now says team commerce"),
  );
  assert.equal(liveAccount(financeNs, "ledger").metadata.labels?.["slipway.dev/team"], "finance");
});

test("a preview namespace of another app is refused, and so is a namespace labelled for another team", async () => {
  // Finance's preview owns its namespace, as a preview render does.
  const financePreview: DeployScope = { app: "ledger", target: uniqueName("preview"), team: "finance" };
  const previewNs = uniqueName("ledger-pr");
  namespaces.push(previewNs);
  const nsObject = (scope: DeployScope): KubeObject => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: previewNs,
      labels: {
        "slipway.dev/app": scope.app,
        "slipway.dev/target": scope.target,
        "slipway.dev/team": scope.team ?? "",
      },
    },
  });
  await cluster.apply(request(financePreview, [nsObject(financePreview), ...app(previewNs, financePreview)]));
  const before = kubectlJson(kubeconfig, ["get", "namespace", previewNs]);

  // A colliding pattern puts commerce's preview in the same namespace: with its Namespace object…
  await assert.rejects(
    cluster.apply(
      request(shopPreview, [nsObject(shopPreview), ...app(previewNs, shopPreview)], { forceConflicts: true }),
    ),
    (e) =>
      assertConflict(e, `Namespace/${previewNs} belongs to app ledger in target ${financePreview.target}`),
  );
  // …or without it (a channel's namespace is not rendered).
  const shop: DeployScope = { app: "shop", target: financePreview.target, team: "commerce" };
  await assert.rejects(cluster.apply(request(shop, app(previewNs, shop))), (e) =>
    assertConflict(e, `namespace ${previewNs} belongs to app ledger`),
  );
  const after = kubectlJson(kubeconfig, ["get", "namespace", previewNs]);
  assert.deepEqual(after.metadata.labels, before.metadata.labels, "the namespace is not relabelled");
  assert.equal(
    kubectl(kubeconfig, ["-n", previewNs, "get", "configmaps", "-l", "slipway.dev/app=shop", "-o", "name"]),
    "",
  );

  // A namespace the operator labelled for a team takes no other team's objects.
  kubectl(kubeconfig, ["label", "namespace", financeNs, "slipway.dev/team=finance"]);
  const intruder: DeployScope = { app: "shop", target: stable, team: "commerce" };
  await assert.rejects(cluster.apply(request(intruder, app(financeNs, intruder))), (e) =>
    assertConflict(e, `namespace ${financeNs} is team finance's`),
  );
});

test("an object Slipway never applied is a conflict naming its manager; adopting it takes the operator's say", async () => {
  kubectl(kubeconfig, ["-n", commerceNs, "create", "configmap", "payments-config", "--from-literal=k=v"]);
  const scope: DeployScope = { app: "payments", target: stable, team: "commerce" };
  const objects = app(commerceNs, scope);
  await assert.rejects(cluster.apply(request(scope, objects)), (e) =>
    assertConflict(
      e,
      `ConfigMap/${commerceNs}/payments-config already exists and is not Slipway's (managed by kubectl-create)`,
      "--force-conflicts",
    ),
  );
  const untouched = kubectlJson(kubeconfig, ["-n", commerceNs, "get", "configmap", "payments-config"]);
  assert.equal(untouched.metadata.labels?.["slipway.dev/app"], undefined);
  await cluster.apply(request(scope, objects, { adopt: true }));
  const adopted = kubectlJson<KubeObject & { data: Record<string, string> }>(kubeconfig, [
    "-n",
    commerceNs,
    "get",
    "configmap",
    "payments-config",
  ]);
  assert.equal(adopted.metadata.labels?.["slipway.dev/app"], "payments");
  assert.equal(adopted.data.k, "v", "adopting keeps the other manager's fields");
});

test("a cluster-scoped kind the renderer took for namespaced (a CRD not named Cluster…) is refused, never created cluster-wide", async () => {
  // Calico's GlobalNetworkPolicy, Karpenter's NodePool, Crossplane's providers: cluster-scoped CRDs
  // whose names do not say so. An app's manifest of such a kind lands with the app's namespace.
  const group = `${uniqueName("net")}.review.slipway.test`;
  const crd = `globalnetworkpolicies.${group}`;
  kubectl(
    kubeconfig,
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: crd },
      spec: {
        group,
        scope: "Cluster",
        names: {
          plural: "globalnetworkpolicies",
          singular: "globalnetworkpolicy",
          kind: "GlobalNetworkPolicy",
        },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          },
        ],
      },
    }),
  );
  kubectl(kubeconfig, ["wait", "--for=condition=Established", `crd/${crd}`, "--timeout=30s"]);
  const ns = uniqueName("shop");
  createNamespace(kubeconfig, ns);
  try {
    const shop: DeployScope = { app: "shop", target: uniqueName("develop"), team: "commerce" };
    const policy: KubeObject = {
      apiVersion: `${group}/v1`,
      kind: "GlobalNetworkPolicy",
      metadata: {
        name: "shop--allow-all",
        namespace: ns,
        labels: {
          "slipway.dev/app": "shop",
          "slipway.dev/target": shop.target,
          "slipway.dev/team": "commerce",
        },
      },
    };
    await assert.rejects(cluster.apply(request(shop, [...app(ns, shop), policy])), (e) =>
      assertConflict(e, "GlobalNetworkPolicy", "cluster-scoped", ns),
    );
    assert.equal(kubectl(kubeconfig, ["get", `globalnetworkpolicies.${group}`, "-o", "name"]), "");
  } finally {
    kubectl(kubeconfig, ["delete", "crd", crd, "--ignore-not-found"]);
    deleteNamespace(kubeconfig, ns);
  }
});
