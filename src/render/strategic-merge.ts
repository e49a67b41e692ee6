/**
 * Kubernetes' strategic merge patch, for the lists people patch: the rules `kubectl patch
 * --type strategic` applies to the built-in kinds, keyed by field name instead of by the Go types.
 *
 * - maps merge key by key; `null` removes a key;
 * - a list whose field is in MERGE_KEYS merges item by item on its key: an item with a known key
 *   merges into that item, a new one is appended, and an item with `$patch: delete` removes it;
 * - lists of strings in PRIMITIVE_MERGE (finalizers) take the union;
 * - every other list replaces the old one whole;
 * - `$patch: replace` in a map replaces the map instead of merging; `$patch: delete` removes it.
 *
 * Pure: returns a new value and changes neither argument.
 */
import { isPlainMap } from "../spec/merge.ts";

/** Field name → the key its items merge on (as in the Kubernetes API's patchMergeKey). */
export const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  env: "name",
  volumes: "name",
  volumeMounts: "mountPath",
  volumeDevices: "devicePath",
  imagePullSecrets: "name",
  hostAliases: "ip",
  topologySpreadConstraints: "topologyKey",
  resourceClaims: "name",
  schedulingGates: "name",
  ownerReferences: "uid",
  conditions: "type",
  // `ports` are keyed by containerPort in a container and by port in a Service: see mergeKeyFor.
  ports: "port",
};

const PRIMITIVE_MERGE = new Set(["finalizers"]);
const DIRECTIVE = "$patch";

export function strategicMerge(target: unknown, patch: unknown): unknown {
  return mergeValue(target, patch, undefined);
}

function mergeValue(target: unknown, patch: unknown, field: string | undefined): unknown {
  if (isPlainMap(patch)) {
    const directive = patch[DIRECTIVE];
    const rest = withoutDirective(patch);
    if (directive === "replace") return stripDirectives(rest);
    if (!isPlainMap(target)) return stripDirectives(rest);
    const out: Record<string, unknown> = { ...target };
    for (const [key, value] of Object.entries(rest)) {
      if (value === null || (isPlainMap(value) && value[DIRECTIVE] === "delete")) delete out[key];
      else out[key] = mergeValue(out[key], value, key);
    }
    return out;
  }
  if (Array.isArray(patch)) {
    if (field !== undefined && Array.isArray(target)) {
      if (PRIMITIVE_MERGE.has(field)) return [...new Set([...target, ...patch])];
      const key = mergeKeyFor(field, target, patch);
      if (key !== undefined) return mergeList(target, patch, key);
    }
    return patch.map(stripDirectives);
  }
  return patch;
}

function mergeKeyFor(field: string, target: unknown[], patch: unknown[]): string | undefined {
  if (field === "ports") {
    const items = [...target, ...patch].filter(isPlainMap);
    return items.some((i) => "containerPort" in i) ? "containerPort" : "port";
  }
  return Object.hasOwn(MERGE_KEYS, field) ? MERGE_KEYS[field] : undefined;
}

function mergeList(target: unknown[], patch: unknown[], key: string): unknown[] {
  const out = [...target];
  for (const item of patch) {
    if (!isPlainMap(item) || !(key in item)) {
      out.push(stripDirectives(item));
      continue;
    }
    const at = out.findIndex((o) => isPlainMap(o) && o[key] === item[key]);
    if (item[DIRECTIVE] === "delete") {
      if (at !== -1) out.splice(at, 1);
    } else if (at === -1) out.push(stripDirectives(item));
    else out[at] = mergeValue(out[at], item, undefined);
  }
  return out;
}

function withoutDirective(map: Record<string, unknown>): Record<string, unknown> {
  const { [DIRECTIVE]: _directive, ...rest } = map;
  return rest;
}

/** A new item or a replaced list holds no directives (and no `null`s meant as removals). */
function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isPlainMap(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(withoutDirective(value)))
    if (v !== null) out[key] = stripDirectives(v);
  return out;
}
