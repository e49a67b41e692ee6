/**
 * The override merge used for platform defaults and per-environment overrides:
 * - maps merge key by key (recursively);
 * - lists replace the whole list (no element-wise merge: order and removal stay obvious);
 * - `null` removes the key;
 * - any other value replaces.
 * The same rules as Helm's values files, so exported charts behave alike.
 */
export function mergeOverride(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isPlainMap(override) || !isPlainMap(base)) return override === null ? undefined : override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else out[key] = mergeOverride(out[key], value);
  }
  return out;
}

export function isPlainMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
