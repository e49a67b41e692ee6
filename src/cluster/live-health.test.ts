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
        status: { readyReplicas: 2, updateRevision: "checkout-db-2" },
      },
    ],
    "/api/v1/namespaces/shop/pods": [
      pod("checkout-db-0", { "controller-revision-hash": "checkout-db-1" }, [5]),
      pod("checkout-db-1", { "controller-revision-hash": "checkout-db-2" }, [1], [2]),
    ],
  });
  const health = await readWorkloadHealth(new ApiClient(server), { namespace: "shop", ...scope });
  assert.equal(health.length, 1);
  assert.equal(health[0]!.available, 2, "ready stands in for available when the StatefulSet has none");
  assert.equal(health[0]!.release, undefined);
  assert.deepEqual(health[0]!.restarts, [{ pod: "checkout-db-1", restarts: 3 }]);
});
