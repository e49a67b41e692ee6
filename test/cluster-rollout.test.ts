/**
 * Rollouts that fail, rollback, field-manager conflicts and permission errors, against the real
 * test control plane. Failing pods come from kwok's chaos stage (a pod label makes them fail).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import type { ClusterApplyRequest } from "../src/cluster/cluster.ts";
import { KubeCluster } from "../src/cluster/kube-cluster.ts";
import { isSlipwayError, type SlipwayError } from "../src/core/errors.ts";
import type { KubeObject } from "../src/core/kube-object.ts";
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
const namespace = uniqueName("rollout");
const target = uniqueName("t");
let cluster: KubeCluster;

const request = (
  app: string,
  objects: KubeObject[],
  extra: Partial<ClusterApplyRequest> = {},
): ClusterApplyRequest => ({
  scope: { app, target },
  objects,
  prune: true,
  wait: true,
  release,
  ...extra,
});

before(async () => {
  createNamespace(kubeconfig, namespace);
  cluster = await KubeCluster.connect({ kubeconfig });
});
after(() => deleteNamespace(kubeconfig, namespace));

const imageOf = () =>
  kubectl(kubeconfig, [
    "-n",
    namespace,
    "get",
    "deployment",
    "api",
    "-o",
    "jsonpath={.spec.template.spec.containers[0].image}",
  ]);

test("pods that keep failing fail the rollout early, named with their state, and it is rolled back", async () => {
  const good = fixtureApp(namespace, "api", target, { image: "registry.example.com/api:1" });
  await cluster.apply(request("api", good));
  const bad = fixtureApp(namespace, "api", target, { image: "registry.example.com/api:2", failing: true });
  const started = Date.now();
  let failure: SlipwayError | undefined;
  try {
    await cluster.apply(request("api", bad, { rollbackTo: good, timeoutMs: 60_000 }));
  } catch (e) {
    if (!isSlipwayError(e)) throw e;
    failure = e;
  }
  assert.ok(failure, "the failing rollout must be reported");
  assert.equal(failure.code, "SLIPWAY_E_ROLLOUT_FAILED");
  assert.match(failure.message, new RegExp(`rollout of Deployment/${namespace}/api failed \\(PodsFailing`));
  assert.match(
    failure.message,
    /pod api-[a-z0-9]+-[a-z0-9]+: .*container app terminated: containerFailed, exit code 1/,
  );
  assert.match(failure.message, /Rolled back to the previously applied revision/);
  assert.equal(failure.details.rolledBack, true);
  assert.ok(Date.now() - started < 45_000, "found well before the 60 s wait ran out");
  assert.equal(imageOf(), "registry.example.com/api:1");
  const d = kubectlJson<{ status: { availableReplicas?: number; updatedReplicas?: number } }>(kubeconfig, [
    "-n",
    namespace,
    "get",
    "deployment",
    "api",
  ]);
  assert.equal(d.status.availableReplicas, 2);
  assert.equal(d.status.updatedReplicas, 2);
});

test("rollbackOnFailure puts back the revision read from the cluster and prunes what the failed one added", async () => {
  const configs = () =>
    kubectlJson<{ items: KubeObject[] }>(kubeconfig, [
      "-n",
      namespace,
      "get",
      "configmaps",
      "-l",
      "slipway.dev/app=back",
    ]).items.map((o) => o.metadata.name);
  const good = fixtureApp(namespace, "back", target, { image: "registry.example.com/back:1" });
  await cluster.apply(request("back", good));
  const template = () =>
    kubectlJson<{ spec: { template: unknown } }>(kubeconfig, ["-n", namespace, "get", "deployment", "back"])
      .spec.template;
  const before = template();
  const bad = fixtureApp(namespace, "back", target, {
    image: "registry.example.com/back:2",
    failing: true,
    withExtraConfigMap: true,
  });
  const events: string[] = [];
  let failure: SlipwayError | undefined;
  try {
    await cluster.apply(
      request("back", bad, {
        rollbackOnFailure: true,
        timeoutMs: 60_000,
        onProgress: (e) => events.push(e.type === "object" ? `${e.action} ${e.ref}` : e.type),
      }),
    );
  } catch (e) {
    if (!isSlipwayError(e)) throw e;
    failure = e;
  }
  assert.ok(failure, "the failed rollout is still a failure");
  assert.equal(failure.code, "SLIPWAY_E_ROLLOUT_FAILED");
  assert.match(failure.message, new RegExp(`rollout of Deployment/${namespace}/back failed \\(PodsFailing`));
  assert.match(
    failure.message,
    new RegExp(
      `Rolled back to the previously applied revision of back in ${target}: restored Deployment/${namespace}/back; removed ConfigMap/${namespace}/back-extra \\(added by the failed revision\\)\\.$`,
    ),
  );
  assert.equal(failure.details.rolledBack, true);
  assert.equal(failure.details.reason, "PodsFailing");
  // The rollback's own events follow the "rollback" one, the pruned ConfigMap's deletion included.
  const rollbackAt = events.indexOf("rollback");
  assert.ok(rollbackAt > 0, events.join(", "));
  assert.ok(events.slice(rollbackAt).includes(`delete ConfigMap/${namespace}/back-extra`), events.join(", "));

  assert.deepEqual(template(), before, "the pod template is revision 1's again");
  assert.deepEqual(configs(), ["back-config"]);
  // What was put back is revision 1 as Slipway applied it: deploying its render again writes nothing.
  const again = await cluster.apply(request("back", good));
  assert.equal(again.stats.writes, 0, JSON.stringify(again.changes.filter((c) => c.action !== "unchanged")));
});

test("a rollback hands back an object that was there before the failed revision took it over, never deletes it", async () => {
  // Someone's ConfigMap, created with kubectl; the next revision starts rendering the same name
  // and values, and the operator lets the apply adopt it (no field conflicts, so no force).
  kubectl(kubeconfig, ["-n", namespace, "create", "configmap", "adopt-extra", "--from-literal=k=v"]);
  await cluster.apply(
    request("adopt", fixtureApp(namespace, "adopt", target, { image: "registry.example.com/adopt:1" })),
  );
  const bad = fixtureApp(namespace, "adopt", target, {
    image: "registry.example.com/adopt:2",
    failing: true,
    withExtraConfigMap: true,
  });
  let failure: SlipwayError | undefined;
  try {
    await cluster.apply(request("adopt", bad, { rollbackOnFailure: true, adopt: true, timeoutMs: 60_000 }));
  } catch (e) {
    if (!isSlipwayError(e)) throw e;
    failure = e;
  }
  assert.ok(failure, "the failed rollout is still a failure");
  assert.equal(failure.details.rolledBack, true, failure.message);
  assert.match(failure.message, new RegExp(`handed back ConfigMap/${namespace}/adopt-extra \\(there before`));
  assert.doesNotMatch(failure.message, /removed ConfigMap/);
  const kept = kubectlJson<KubeObject & { data: Record<string, string> }>(kubeconfig, [
    "-n",
    namespace,
    "get",
    "configmap",
    "adopt-extra",
    "--show-managed-fields",
  ]);
  assert.deepEqual(kept.data, { k: "v" }, "the owner's data is untouched");
  assert.deepEqual(
    Object.keys(kept.metadata.labels ?? {}).filter((k) => k.startsWith("slipway.dev/")),
    [],
    "no longer labelled as Slipway's",
  );
  const managers = (kept.metadata.managedFields as { manager: string }[]).map((m) => m.manager);
  assert.ok(!managers.includes("slipway"), managers.join(", "));
});

test("rollbackOnFailure after a deploy that changed nothing leaves the failing revision, and says why", async () => {
  const bad = fixtureApp(namespace, "again", target, { failing: true });
  await assert.rejects(cluster.apply(request("again", bad, { timeoutMs: 60_000 })));
  await assert.rejects(
    cluster.apply(request("again", bad, { rollbackOnFailure: true, timeoutMs: 60_000 })),
    (e: unknown) =>
      isSlipwayError(e) &&
      e.code === "SLIPWAY_E_ROLLOUT_FAILED" &&
      e.details.rolledBack === false &&
      e.message.includes("Not rolled back: this deploy changed nothing in again"),
  );
});

test("a rollout past its progress deadline names the pods that cannot be scheduled", async () => {
  const stuck = fixtureApp(namespace, "stuck", target, { unschedulable: true, progressDeadlineSeconds: 5 });
  await assert.rejects(
    cluster.apply(request("stuck", stuck, { timeoutMs: 60_000 })),
    (e: unknown) =>
      isSlipwayError(e) &&
      e.code === "SLIPWAY_E_ROLLOUT_FAILED" &&
      e.message.includes(`Deployment/${namespace}/stuck failed (ProgressDeadlineExceeded`) &&
      /pod stuck-[a-z0-9]+-[a-z0-9]+: PodScheduled=False \(Unschedulable\)/.test(e.message),
  );
});

test("a field owned by another manager is a clear conflict; --force-conflicts takes it over", async () => {
  kubectl(
    kubeconfig,
    ["apply", "--server-side", "--field-manager=platform-team", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "shared-config", namespace },
      data: { greeting: "theirs" },
    }),
  );
  const ours = fixtureApp(namespace, "shared", target).filter((o) => o.kind === "ConfigMap");
  const objects = ours.map((o) => ({ ...o, metadata: { ...o.metadata, name: "shared-config" } }));
  // Not Slipway's: refused outright, naming who manages it.
  await assert.rejects(
    cluster.apply(request("shared", objects, { wait: false })),
    (e: unknown) =>
      isSlipwayError(e) &&
      e.code === "SLIPWAY_E_CONFLICT" &&
      e.message.includes(
        `ConfigMap/${namespace}/shared-config already exists and is not Slipway's (managed by platform-team)`,
      ),
  );
  // Adopting it keeps the other manager's fields: the one both set is a field conflict.
  await assert.rejects(
    cluster.apply(request("shared", objects, { wait: false, adopt: true })),
    (e: unknown) =>
      isSlipwayError(e) &&
      e.code === "SLIPWAY_E_CONFLICT" &&
      e.message.includes(`ConfigMap/${namespace}/shared-config`) &&
      e.message.includes('"platform-team" owns .data.greeting'),
  );
  await cluster.apply(request("shared", objects, { wait: false, forceConflicts: true }));
  assert.equal(
    kubectl(kubeconfig, [
      "-n",
      namespace,
      "get",
      "configmap",
      "shared-config",
      "-o",
      "jsonpath={.data.greeting}",
    ]),
    "hello",
  );
});

test("a missing permission names the verb, resource and namespace", async () => {
  const pki = join(dirname(kubeconfig), "pki");
  const dir = mkdtempSync(join(tmpdir(), "slipway-limited-"));
  const ssl = (args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
  ssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", join(dir, "u.key")]);
  ssl([
    "req",
    "-new",
    "-key",
    join(dir, "u.key"),
    "-subj",
    "/CN=limited-deployer",
    "-out",
    join(dir, "u.csr"),
  ]);
  ssl([
    "x509",
    "-req",
    "-in",
    join(dir, "u.csr"),
    "-CA",
    join(pki, "ca.crt"),
    "-CAkey",
    join(pki, "ca.key"),
    "-days",
    "1",
    "-out",
    join(dir, "u.crt"),
  ]);
  // Allowed to list (so the apply gets as far as writing), not to patch.
  kubectl(kubeconfig, [
    "-n",
    namespace,
    "create",
    "role",
    "read-only",
    "--verb=get,list",
    "--resource=configmaps,serviceaccounts,secrets,persistentvolumeclaims,roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io,services,deployments.apps,statefulsets.apps,jobs.batch,cronjobs.batch,horizontalpodautoscalers.autoscaling,poddisruptionbudgets.policy,ingresses.networking.k8s.io,networkpolicies.networking.k8s.io",
  ]);
  kubectl(kubeconfig, [
    "-n",
    namespace,
    "create",
    "rolebinding",
    "read-only",
    "--role=read-only",
    "--user=limited-deployer",
  ]);
  const config = readFileSync(kubeconfig, "utf8")
    .replace(
      /client-certificate-data: .*/,
      `client-certificate-data: ${readFileSync(join(dir, "u.crt")).toString("base64")}`,
    )
    .replace(
      /client-key-data: .*/,
      `client-key-data: ${readFileSync(join(dir, "u.key")).toString("base64")}`,
    );
  writeFileSync(join(dir, "kubeconfig"), config);
  const limited = await KubeCluster.connect({ kubeconfig: join(dir, "kubeconfig") });
  const objects = fixtureApp(namespace, "locked", target).filter((o) => o.kind === "ConfigMap");
  await assert.rejects(
    limited.apply(request("locked", objects, { wait: false })),
    (e: unknown) =>
      isSlipwayError(e) &&
      e.code === "SLIPWAY_E_FORBIDDEN" &&
      /may not patch configmaps "locked-config" in namespace "rollout-/.test(e.message) &&
      e.message.includes('Grant the verb "patch"'),
  );
});
