/**
 * What an apply must list besides the kinds Slipway renders, to prune what left the render: a
 * deploy lists every kind of PRUNABLE_KINDS, and the kinds and namespaces of what it applies now —
 * so an object of another kind (a custom resource from the escape hatch, a ClusterRole of
 * `rbac.clusterRules`) or in another namespace was never seen again once it left the spec, and
 * stayed, with whatever it granted.
 *
 * So each apply records those objects' kinds and namespaces on the app's ServiceAccount (always
 * rendered, in the app's namespace, and listed with the usual kinds), and the next apply lists
 * what the live ServiceAccount recorded too. Entries are `apiVersion|kind|namespace` (no
 * namespace for a cluster-scoped kind). A deploy that does not prune keeps the entries it
 * inherited, so a later pruning deploy still finds what they name.
 */
import type { KubeObject } from "../core/kube-object.ts";

export const INVENTORY_ANNOTATION = "slipway.dev/also-applied";

export interface InventoryEntry {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string | undefined;
}

const key = (e: InventoryEntry) => `${e.apiVersion}|${e.kind}|${e.namespace ?? ""}`;

/**
 * The entries of `objects` a usual listing would not find: kinds outside `usual`, and objects
 * outside the ServiceAccount's namespace.
 */
export function inventoryOf(
  objects: readonly KubeObject[],
  usual: ReadonlySet<string>,
  home: string | undefined,
): InventoryEntry[] {
  const out = new Map<string, InventoryEntry>();
  for (const o of objects) {
    if (o.kind === "Namespace" || o.kind === "CustomResourceDefinition") continue;
    const ns = o.metadata.namespace;
    if (usual.has(`${o.apiVersion}|${o.kind}`) && ns === home) continue;
    const entry = { apiVersion: o.apiVersion, kind: o.kind, namespace: ns };
    out.set(key(entry), entry);
  }
  return [...out.values()].sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

export function parseInventory(text: string | undefined): InventoryEntry[] {
  return (text ?? "")
    .split(",")
    .filter((s) => s.trim() !== "")
    .flatMap((s) => {
      const [apiVersion, kind, namespace] = s.split("|");
      return apiVersion && kind ? [{ apiVersion, kind, namespace: namespace || undefined }] : [];
    });
}

/**
 * `objects` with the inventory written on their ServiceAccount: `entries` plus, when `keep`,
 * those `inherited` from the live one. Unchanged when there is no ServiceAccount, or nothing to
 * record and nothing recorded before (an app without such objects is not changed by this).
 */
export function withInventory(
  objects: readonly KubeObject[],
  entries: readonly InventoryEntry[],
  inherited: readonly InventoryEntry[],
  keep: boolean,
): KubeObject[] {
  const all = new Map(entries.map((e) => [key(e), e]));
  if (keep) for (const e of inherited) all.set(key(e), e);
  const text = [...all.keys()].sort().join(",");
  const i = objects.findIndex((o) => o.kind === "ServiceAccount" && o.apiVersion === "v1");
  const account = objects[i];
  if (account === undefined || text === "") return [...objects];
  const out = [...objects];
  out[i] = {
    ...account,
    metadata: {
      ...account.metadata,
      annotations: { ...account.metadata.annotations, [INVENTORY_ANNOTATION]: text },
    },
  };
  return out;
}
