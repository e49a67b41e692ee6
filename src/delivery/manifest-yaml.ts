/**
 * One object as YAML, byte-for-byte the same for the same object: what GitOps files hold and what
 * diffs compare. Keys are sorted at every level, except that `apiVersion`, `kind` and `metadata`
 * lead, the order every Kubernetes manifest is read in.
 *
 * A SOPS-encrypted object keeps its key order: SOPS computes its MAC over the values in document
 * order, so reordering the keys would make the real `sops` (and Flux) reject the file.
 */
import { parse, stringify } from "yaml";
import type { KubeObject } from "../core/kube-object.ts";

const LEADING_KEYS = ["apiVersion", "kind", "metadata"];

export function manifestYaml(o: KubeObject): string {
  const value = "sops" in o ? o : canonical(o, true);
  // YAML 1.1 quoting, because Go tools (kubectl, Flux, sops) read YAML 1.1: a bare `on`, `0755` or
  // `2026-11-23T12:00:00Z` would not come back as the string it was. No anchors for repeated
  // sub-objects and no folded lines: files must diff line by line.
  return stringify(value, { version: "1.1", aliasDuplicateObjects: false, lineWidth: 0 });
}

/** Reads what `manifestYaml` wrote, with the same YAML version, so every value comes back as it was. */
export function parseManifestYaml(text: string): unknown {
  return parse(text, { version: "1.1" });
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
