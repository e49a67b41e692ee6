/**
 * One object as YAML, byte-for-byte the same for the same object: what GitOps files hold and what
 * diffs compare. Keys are sorted at every level, except that `apiVersion`, `kind` and `metadata`
 * lead, the order every Kubernetes manifest is read in.
 *
 * A SOPS-encrypted object keeps its key order: SOPS computes its MAC over the values in document
 * order, so reordering the keys would make the real `sops` (and Flux) reject the file.
 */
import { stringify } from "yaml";
import type { KubeObject } from "../core/kube-object.ts";

const LEADING_KEYS = ["apiVersion", "kind", "metadata"];

export function manifestYaml(o: KubeObject): string {
  const value = "sops" in o ? o : canonical(o, true);
  // No anchors for repeated sub-objects and no folded lines: files must diff line by line.
  return stringify(value, { aliasDuplicateObjects: false, lineWidth: 0 });
}

/** A deep copy with sorted keys; two equal objects give equal copies whatever their key order. */
export function canonical(value: unknown, topLevel = false): unknown {
  if (Array.isArray(value)) return value.map((item) => canonical(item));
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => keyRank(a, topLevel) - keyRank(b, topLevel) || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)]));
}

function keyRank(key: string, topLevel: boolean): number {
  const rank = topLevel ? LEADING_KEYS.indexOf(key) : -1;
  return rank === -1 ? LEADING_KEYS.length : rank;
}
