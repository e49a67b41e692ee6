import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../core/kube-object.ts";
import { INVENTORY_ANNOTATION, inventoryOf, parseInventory, withInventory } from "./inventory.ts";

const o = (apiVersion: string, kind: string, name: string, namespace?: string): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
});
const usual = new Set(["v1|ServiceAccount", "v1|ConfigMap", "apps/v1|Deployment"]);

test("the record names kinds beyond the usual and namespaces beyond the app's, and survives a round trip", () => {
  const objects = [
    o("v1", "ServiceAccount", "shop", "shop-dev"),
    o("apps/v1", "Deployment", "shop", "shop-dev"),
    o("v1", "ConfigMap", "shop--boards", "monitoring"),
    o("rbac.authorization.k8s.io/v1", "ClusterRole", "shop-dev--shop"),
    o("monitoring.coreos.com/v1", "PodMonitor", "shop", "shop-dev"),
    o("v1", "Namespace", "shop-dev"),
  ];
  const entries = inventoryOf(objects, usual, "shop-dev");
  assert.deepEqual(
    entries.map((e) => `${e.kind}@${e.namespace ?? "-"}`),
    ["PodMonitor@shop-dev", "ClusterRole@-", "ConfigMap@monitoring"],
  );
  const [account] = withInventory(objects, entries, [], false);
  const text = account?.metadata.annotations?.[INVENTORY_ANNOTATION];
  assert.deepEqual(parseInventory(text), entries);
});

test("a deploy that does not prune keeps what earlier ones recorded; one that prunes records only its own", () => {
  const objects = [o("v1", "ServiceAccount", "shop", "shop-dev")];
  const inherited = parseInventory("rbac.authorization.k8s.io/v1|ClusterRole|");
  const kept = withInventory(objects, [], inherited, true)[0]?.metadata.annotations?.[INVENTORY_ANNOTATION];
  assert.equal(kept, "rbac.authorization.k8s.io/v1|ClusterRole|");
  assert.equal(withInventory(objects, [], inherited, false)[0]?.metadata.annotations, undefined);
});
