/**
 * Deploy-time Jobs and StatefulSets on the test control plane (kwok runs a Job's pod to
 * completion, and its chaos stage fails pods that carry its label): a pre-deploy Job ends before
 * the workloads change, a failing one stops the deploy and says why, a post-deploy Job runs once
 * the workloads are available, and deploying the same release again runs neither again.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ClusterApplyRequest } from "../src/cluster/cluster.ts";
import { KubeCluster } from "../src/cluster/kube-cluster.ts";
import { DEPLOY_PHASE_ANNOTATION } from "../src/core/deploy-phase.ts";
import { isSlipwayError, type SlipwayError } from "../src/core/errors.ts";
import type { KubeObject } from "../src/core/kube-object.ts";
import {
  createNamespace,
  deleteNamespace,
  fixtureApp,
  kubectlJson,
  release,
  uniqueName,
} from "./support/cluster-fixtures.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

const kubeconfig = testKubeconfig();
const namespace = uniqueName("jobs");
const target = uniqueName("t");
const CHAOS_LABEL = "pod-container-running-failed.stage.kwok.x-k8s.io";
let cluster: KubeCluster;

before(async () => {
  createNamespace(kubeconfig, namespace);
  cluster = await KubeCluster.connect({ kubeconfig });
});
after(() => deleteNamespace(kubeconfig, namespace));

const request = (app: string, objects: KubeObject[], extra: Partial<ClusterApplyRequest> = {}) => ({
  scope: { app, target },
  objects,
  prune: true,
  wait: true,
  release,
  timeoutMs: 60_000,
  ...extra,
});

function job(app: string, name: string, phase: "pre-deploy" | "post-deploy", failing = false): KubeObject {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name,
      namespace,
      labels: { "slipway.dev/app": app, "slipway.dev/target": target },
      annotations: { [DEPLOY_PHASE_ANNOTATION]: phase },
    },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: 120,
      template: {
        metadata: { labels: failing ? { [CHAOS_LABEL]: "true" } : {} },
        spec: {
          restartPolicy: "Never",
          containers: [{ name: "migrate", image: "registry.example.com/demo:1", command: ["migrate"] }],
        },
      },
    },
  };
}

interface Live {
  metadata: { uid: string; creationTimestamp: string };
  status?: {
    completionTime?: string;
    conditions?: { type: string; status: string; lastTransitionTime?: string }[];
  };
}
const get = (kind: string, name: string) =>
  kubectlJson<Live>(kubeconfig, ["-n", namespace, "get", kind, name]);
const absent = (kind: string, name: string) =>
  kubectlJson<{ items: unknown[] }>(kubeconfig, [
    "-n",
    namespace,
    "get",
    kind,
    "--field-selector",
    `metadata.name=${name}`,
  ]).items.length === 0;

test("a pre-deploy Job completes before the workloads change, a post-deploy Job runs after them, and neither runs again for the same release", async () => {
  const objects = [
    ...fixtureApp(namespace, "web", target, { replicas: 1 }),
    job("web", "web--migrate-1a2b3c4d", "pre-deploy"),
    job("web", "web--notify-5e6f7a8b", "post-deploy"),
  ];
  const events: string[] = [];
  await cluster.apply(
    request("web", objects, {
      onProgress: (e) => {
        if (e.type === "object") events.push(`${e.action} ${e.ref.split("/")[0]}/${e.ref.split("/")[2]}`);
      },
    }),
  );
  const migrate = get("job", "web--migrate-1a2b3c4d");
  const notify = get("job", "web--notify-5e6f7a8b");
  const deployment = get("deployment", "web");
  assert.ok(migrate.status?.completionTime, "the pre-deploy Job completed");
  assert.ok(notify.status?.completionTime, "the post-deploy Job completed: the deploy waited for it");
  // The Deployment is created only after the migration completed, the notification after both.
  assert.ok(
    Date.parse(deployment.metadata.creationTimestamp) >= Date.parse(migrate.status.completionTime) - 1000,
    `${deployment.metadata.creationTimestamp} vs ${migrate.status.completionTime}`,
  );
  const order = events.filter((e) => /^create (Job|Deployment)\//.test(e));
  assert.deepEqual(order, [
    "create Job/web--migrate-1a2b3c4d",
    "create Deployment/web",
    "create Job/web--notify-5e6f7a8b",
  ]);

  const again = await cluster.apply(request("web", objects));
  assert.equal(again.stats.writes, 0, JSON.stringify(again.changes.filter((c) => c.action !== "unchanged")));
  assert.equal(get("job", "web--migrate-1a2b3c4d").metadata.uid, migrate.metadata.uid, "not run again");
  assert.equal(get("job", "web--notify-5e6f7a8b").metadata.uid, notify.metadata.uid, "not run again");
});

test("without waiting for the deploy, a post-deploy Job still runs only once the workloads are available", async () => {
  const objects = [
    ...fixtureApp(namespace, "warm", target, { replicas: 2 }),
    job("warm", "warm--cache-9a8b7c6d", "post-deploy"),
  ];
  const events: string[] = [];
  await cluster.apply(
    request("warm", objects, {
      wait: false,
      onProgress: (e) => {
        if (e.type === "replicas" && e.ready === e.desired) events.push(`available ${e.ref}`);
        if (e.type === "object" && e.ref.startsWith("Job/")) events.push(`${e.action} ${e.ref}`);
      },
    }),
  );
  const created = events.indexOf(`create Job/${namespace}/warm--cache-9a8b7c6d`);
  const available = events.indexOf(`available Deployment/${namespace}/warm`);
  assert.ok(created !== -1, events.join("\n"));
  assert.ok(
    available !== -1 && available < created,
    `the Job came before the pods were ready:\n${events.join("\n")}`,
  );
});

test("a failing pre-deploy Job stops the deploy before the new pods roll, naming the Job, its pod and its log", async () => {
  const first = fixtureApp(namespace, "api", target, { replicas: 1, image: "registry.example.com/api:1" });
  await cluster.apply(request("api", first));
  const next = [
    ...fixtureApp(namespace, "api", target, { replicas: 1, image: "registry.example.com/api:2" }),
    job("api", "api--migrate-0badc0de", "pre-deploy", true),
  ];
  let failure: SlipwayError | undefined;
  try {
    await cluster.apply(request("api", next));
  } catch (e) {
    if (!isSlipwayError(e)) throw e;
    failure = e;
  }
  assert.ok(failure, "the failed Job fails the deploy");
  assert.equal(failure.code, "SLIPWAY_E_ROLLOUT_FAILED");
  assert.match(
    failure.message,
    new RegExp(`Job/${namespace}/api--migrate-0badc0de failed \\(BackoffLimitExceeded`),
  );
  assert.match(failure.message, /the deploy stops here/);
  assert.match(
    failure.message,
    /pod api--migrate-0badc0de-[a-z0-9]+: .*container migrate terminated: containerFailed, exit code 1/,
  );
  assert.match(failure.message, /log lines of api--migrate-0badc0de-[a-z0-9]+:\n/);
  const image = kubectlJson<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(
    kubeconfig,
    ["-n", namespace, "get", "deployment", "api"],
  ).spec.template.spec.containers[0]?.image;
  assert.equal(image, "registry.example.com/api:1", "the workload was not touched");
});

test("a rollback after a failed pre-deploy Job restores the configuration it read and removes the Job", async () => {
  const first = fixtureApp(namespace, "cfg", target, { replicas: 1, configValue: "one" });
  await cluster.apply(request("cfg", first));
  const next = [
    ...fixtureApp(namespace, "cfg", target, { replicas: 1, configValue: "two" }),
    job("cfg", "cfg--migrate-0badf00d", "pre-deploy", true),
  ];
  await assert.rejects(cluster.apply(request("cfg", next, { rollbackOnFailure: true })), (e: unknown) => {
    assert.ok(isSlipwayError(e));
    assert.equal(e.details.rolledBack, true, e.message);
    return true;
  });
  const data = kubectlJson<{ data: Record<string, string> }>(kubeconfig, [
    "-n",
    namespace,
    "get",
    "configmap",
    "cfg-config",
  ]).data;
  assert.deepEqual(data, { greeting: "one" });
  assert.ok(absent("job", "cfg--migrate-0badf00d"));
});

test("a StatefulSet's rollout is followed until its pods are ready, and a failing one is reported with its pods", async () => {
  const set = (name: string, failing: boolean): KubeObject => ({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name, namespace, labels: { "slipway.dev/app": name, "slipway.dev/target": target } },
    spec: {
      replicas: 2,
      serviceName: name,
      selector: { matchLabels: { "app.kubernetes.io/name": name } },
      ...(failing ? { minReadySeconds: 4 } : {}),
      template: {
        metadata: {
          labels: { "app.kubernetes.io/name": name, ...(failing ? { [CHAOS_LABEL]: "true" } : {}) },
        },
        spec: { containers: [{ name: "db", image: "registry.example.com/db:1" }] },
      },
    },
  });
  const progress: string[] = [];
  await cluster.apply(
    request("store", [set("store", false)], {
      onProgress: (e) => {
        if (e.type === "replicas") progress.push(`${e.ready}/${e.desired}`);
      },
    }),
  );
  assert.equal(progress.at(-1), "2/2");
  const live = kubectlJson<{ status: { readyReplicas?: number } }>(kubeconfig, [
    "-n",
    namespace,
    "get",
    "statefulset",
    "store",
  ]);
  assert.equal(live.status.readyReplicas, 2);

  // kwok fails the pod and the controller replaces it at once, so the deadline is what ends this
  // wait; a real crash-looping pod is seen earlier (CrashLoopBackOff).
  await assert.rejects(
    cluster.apply(request("broken", [set("broken", true)], { timeoutMs: 8000 })),
    (e: unknown) =>
      isSlipwayError(e) &&
      e.code === "SLIPWAY_E_ROLLOUT_FAILED" &&
      e.message.includes(`rollout of StatefulSet/${namespace}/broken failed`),
  );
});
