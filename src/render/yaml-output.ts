/**
 * Deterministic YAML: keys sorted at every level, one document per object, fixed formatting,
 * so the same render is byte-identical and diffs show only real changes.
 */
import { stringify } from "yaml";
import type { KubeObject } from "../core/kube-object.ts";

export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort())
      out[key] = sortKeysDeep((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

export function objectToYaml(object: KubeObject): string {
  // YAML 1.1 quoting: kubectl, Helm and most Go tools read YAML 1.1, where a bare `on`, `yes` or
  // `0755` is not a string. Quoting them keeps every string a string for every reader.
  return stringify(sortKeysDeep(object), {
    version: "1.1",
    lineWidth: 0,
    indentSeq: true,
    aliasDuplicateObjects: false,
  });
}

export function objectsToYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => `---\n${objectToYaml(o)}`).join("");
}

/** `<kind>-<name>.yaml` in lowercase: unique within one target, stable across renders. */
export function fileNameFor(object: KubeObject): string {
  return `${object.kind.toLowerCase()}-${object.metadata.name}.yaml`;
}
