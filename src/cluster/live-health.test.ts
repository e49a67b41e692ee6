import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiClient } from "./api-client.ts";
import { readWorkloadHealth } from "./live-health.ts";
import type { HttpRequest, HttpResponse, Transport } from "./transport.ts";

type Item = {
  metadata: { name: string; labels?: Record<string, string> } & Record<string, unknown>;
} & Record<string, unknown>;

/** An API server holding lists per namespace and resource, filtering by an equality label selector. */
function apiServer(lists: Record<string, Item[]>): Transport & { paths: string[] } {
  const paths: string[] = [];
  return {
    server: "https://test",
    paths,
    async send(req: HttpRequest): Promise<HttpResponse> {
      const url = new URL(req.path, "https://test");
      paths.push(url.pathname);
      const items = lists[url.pathname] ?? [];
      const wanted = (url.searchParams.get("labelSelector") ?? "")
        .split(",")
        .filter(Boolean)
        .map((term) => term.split("=") as [string, string]);
      const matching = items.filter((item) => wanted.every(([k, v]) => item.metadata.labels?.[k] === v));
      return { status: 200, body: JSON.stringify({ items: matching }) };
    },
  };
}

const scope = { app: "checkout", target: "staging" };
const labels = { "slipway.dev/app": "checkout", "slipway.dev/target": "staging" };
const pod = (name: string, hashLabel: Record<string, string>, restarts: number[], init: number[] = []) => ({
  metadata: { name, labels: { "app.kubernetes.io/name": "checkout", ...hashLabel } },
  status: {
    containerStatuses: restarts.map((restartCount) => ({ restartCount })),
    initContainerStatuses: init.map((restartCount) => ({ restartCount })),
  },
});

test("a Deployment's restarts are its newest ReplicaSet's pods' only; available against desired", async () => {
  const selector = { "app.kubernetes.io/name": "checkout" };
  const server = apiServer({
    "/apis/apps/v1/namespaces/shop/deployments": [
      {
        metadata: {
          name: "checkout",
          uid: "d1",
          labels: { ...labels, "slipway.dev/release": "rel_2" },
          annotations: { "deployment.kubernetes.io/revision": "2" },
        },
        spec: { replicas: 3, selector: { matchLabels: selector } },
        status: { readyReplicas: 2, availableReplicas: 2 },
      },
      // Another target's Deployment in the same namespace is not this channel's.
      {
        metadata: { name: "checkout-other", labels: { ...labels, "slipway.dev/target": "beta" } },
        spec: { replicas: 1 },
      },
    ],
    "/apis/apps/v1/namespaces/shop/replicasets": [
      {
        metadata: {
          name: "checkout-aaa",
          labels: { ...selector, "pod-template-hash": "aaa" },
          annotations: { "deployment.kubernetes.io/revision": "1" },
          ownerReferences: [{ uid: "d1" }],
        },
      },
      {
        metadata: {
          name: "checkout-bbb",
          labels: { ...selector, "pod-template-hash": "bbb" },
          annotations: { "deployment.kubernetes.io/revision": "2" },
          ownerReferences: [{ uid: "d1" }],
        },
        status: { readyReplicas: 2, availableReplicas: 2 },
      },
    ],
    "/api/v1/namespaces/shop/pods": [
      pod("checkout-aaa-old", { "pod-template-hash": "aaa" }, [7]),
      pod("checkout-bbb-one", { "pod-template-hash": "bbb" }, [1, 2]),
      pod("checkout-bbb-two", { "pod-template-hash": "bbb" }, [0]),
    ],
  });
  const health = await readWorkloadHealth(new ApiClient(server), { namespace: "shop", ...scope });
  assert.deepEqual(health, [
    {
      kind: "Deployment",
      name: "checkout",
      release: "rel_2",
      desired: 3,
      ready: 2,
      available: 2,
      restarts: [{ pod: "checkout-bbb-one", restarts: 3 }],
    },
  ]);
});

test("a StatefulSet's restarts are its update revision's pods', init containers included", async () => {
  const selector = { "app.kubernetes.io/name": "checkout" };
  const server = apiServer({
    "/apis/apps/v1/namespaces/shop/statefulsets": [
      {
        metadata: { name: "checkout-db", labels },
        spec: { replicas: 2, selector: { matchLabels: selector } },
        status: { readyReplicas: 2, currentRevision: "checkout-db-2", updateRevision: "checkout-db-2" },
      },
    ],
    "/api/v1/namespaces/shop/pods": [
      // A pod of the revision before, as it was: a pod name stays, its revision label changes.
      pod("checkout-db-old", { "controller-revision-hash": "checkout-db-1" }, [5]),
      pod("checkout-db-1", { "controller-revision-hash": "checkout-db-2" }, [1], [2]),
    ],
  });
  const health = await readWorkloadHealth(new ApiClient(server), { namespace: "shop", ...scope });
  assert.equal(health.length, 1);
  assert.equal(health[0]!.available, 2, "ready stands in for available when the StatefulSet has none");
  assert.equal(health[0]!.release, undefined);
  assert.deepEqual(health[0]!.restarts, [{ pod: "checkout-db-1", restarts: 3 }]);
});

test("mid-rollout, a Deployment's available replicas are its newest ReplicaSet's, not the older ones still serving", async () => {
  const selector = { "app.kubernetes.io/name": "checkout" };
  const server = apiServer({
    "/apis/apps/v1/namespaces/shop/deployments": [
      {
        metadata: {
          name: "checkout",
          uid: "d1",
          labels: { ...labels, "slipway.dev/release": "rel_2" },
          annotations: { "deployment.kubernetes.io/revision": "2" },
        },
        spec: { replicas: 3, selector: { matchLabels: selector } },
        // The old ReplicaSet's three pods keep the Deployment's own counts full (maxUnavailable 0).
        status: { replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 },
      },
    ],
    "/apis/apps/v1/namespaces/shop/replicasets": [
      {
        metadata: {
          name: "checkout-aaa",
          labels: { ...selector, "pod-template-hash": "aaa" },
          annotations: { "deployment.kubernetes.io/revision": "1" },
          ownerReferences: [{ uid: "d1" }],
        },
        status: { readyReplicas: 3, availableReplicas: 3 },
      },
      {
        metadata: {
          name: "checkout-bbb",
          labels: { ...selector, "pod-template-hash": "bbb" },
          annotations: { "deployment.kubernetes.io/revision": "2" },
          ownerReferences: [{ uid: "d1" }],
        },
        status: { replicas: 1 },
      },
    ],
    "/api/v1/namespaces/shop/pods": [pod("checkout-bbb-new", { "pod-template-hash": "bbb" }, [4])],
  });
  const [deployment] = await readWorkloadHealth(new ApiClient(server), { namespace: "shop", ...scope });
  assert.equal(deployment!.available, 0);
  assert.equal(deployment!.ready, 0);
  assert.equal(deployment!.desired, 3);
  assert.deepEqual(deployment!.restarts, [{ pod: "checkout-bbb-new", restarts: 4 }]);
});

test("mid-rollout, a StatefulSet's available replicas are its update revision's ready pods", async () => {
  const selector = { "app.kubernetes.io/name": "checkout" };
  const ready = { conditions: [{ type: "Ready", status: "True" }] };
  const server = apiServer({
    "/apis/apps/v1/namespaces/shop/statefulsets": [
      {
        metadata: { name: "checkout-db", labels },
        spec: { replicas: 3, selector: { matchLabels: selector } },
        status: {
          readyReplicas: 3,
          availableReplicas: 3,
          currentRevision: "checkout-db-1",
          updateRevision: "checkout-db-2",
        },
      },
    ],
    "/api/v1/namespaces/shop/pods": [
      { ...pod("checkout-db-0", { "controller-revision-hash": "checkout-db-1" }, [0]), status: ready },
      { ...pod("checkout-db-1", { "controller-revision-hash": "checkout-db-1" }, [0]), status: ready },
      { ...pod("checkout-db-2", { "controller-revision-hash": "checkout-db-2" }, [0]), status: ready },
      // Ready, but on its way out: not counted.
      {
        ...pod("checkout-db-3", { "controller-revision-hash": "checkout-db-2" }, [0]),
        metadata: {
          name: "checkout-db-3",
          labels: { ...selector, "controller-revision-hash": "checkout-db-2" },
          deletionTimestamp: "2026-12-05T21:00:00Z",
        },
        status: ready,
      },
    ],
  });
  const [statefulSet] = await readWorkloadHealth(new ApiClient(server), { namespace: "shop", ...scope });
  assert.equal(statefulSet!.available, 1);
  assert.equal(statefulSet!.ready, 1);
});

test("workloads rendered with the scope labels on their pods are read in one round trip; one whose template lost them is read on its own", async () => {
  const selector = { "app.kubernetes.io/name": "checkout" };
  const template = { metadata: { labels: { ...selector, ...labels } } };
  const scopedPod = (name: string, hash: string, restarts: number) => {
    const p = pod(name, { ...labels, "pod-template-hash": hash }, [restarts]);
    return { ...p, status: { ...p.status, conditions: [{ type: "Ready", status: "True" }] } };
  };
  const server = apiServer({
    "/apis/apps/v1/namespaces/shop/deployments": [
      {
        metadata: {
          name: "checkout",
          uid: "d1",
          labels: { ...labels, "slipway.dev/release": "rel_3" },
          annotations: { "deployment.kubernetes.io/revision": "3" },
        },
        spec: { replicas: 2, selector: { matchLabels: selector }, template },
      },
    ],
    "/apis/apps/v1/namespaces/shop/statefulsets": [
      {
        // An override dropped the scope labels from its pods: they cannot be found by them.
        metadata: { name: "checkout-db", labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: { db: "checkout" } },
          template: { metadata: { labels: { db: "checkout" } } },
        },
        status: { readyReplicas: 1, currentRevision: "db-1", updateRevision: "db-1" },
      },
    ],
    "/apis/apps/v1/namespaces/shop/replicasets": [
      {
        metadata: {
          name: "checkout-ccc",
          labels: { ...selector, ...labels, "pod-template-hash": "ccc" },
          annotations: { "deployment.kubernetes.io/revision": "3" },
          ownerReferences: [{ uid: "d1" }],
        },
        status: { readyReplicas: 2, availableReplicas: 2 },
      },
    ],
    "/api/v1/namespaces/shop/pods": [
      scopedPod("checkout-ccc-one", "ccc", 2),
      scopedPod("checkout-ccc-two", "ccc", 0),
      // The same app in another channel sharing the namespace: not this channel's pods.
      {
        ...pod("checkout-ccc-beta", { "pod-template-hash": "ccc" }, [9]),
        metadata: {
          name: "checkout-ccc-beta",
          labels: { ...selector, ...labels, "slipway.dev/target": "beta", "pod-template-hash": "ccc" },
        },
      },
      pod("checkout-db-0", { db: "checkout", "controller-revision-hash": "db-1" }, [1]),
    ],
  });
  const health = await readWorkloadHealth(new ApiClient(server), { namespace: "shop", ...scope });
  assert.deepEqual(
    health.map((w) => [w.kind, w.name, w.available, w.restarts]),
    [
      ["Deployment", "checkout", 2, [{ pod: "checkout-ccc-one", restarts: 2 }]],
      ["StatefulSet", "checkout-db", 1, [{ pod: "checkout-db-0", restarts: 1 }]],
    ],
  );
  // Four lists at once, and one more for the StatefulSet's own pods.
  assert.equal(server.paths.length, 5, server.paths.join("\n"));
  assert.equal(server.paths.filter((p) => p.endsWith("/replicasets")).length, 1);
});
