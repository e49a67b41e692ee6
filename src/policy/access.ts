/**
 * Safe readers for untyped manifest data. Policy runs on anything a user feeds it (hand-written
 * YAML, `helm template` output), so no field can be assumed to have its schema type; a field of
 * the wrong type reads as absent, and the rules that care say so.
 */
export type Json = Record<string, unknown>;

export function record(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

export function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

export function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function int(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

export function bool(value: unknown): boolean | undefined {
  return typeof value === "boolean" ? value : undefined;
}

/** Reads `a.b.c` from nested records; undefined as soon as a step is missing. */
export function dig(value: unknown, ...keys: string[]): unknown {
  let current: unknown = value;
  for (const key of keys) {
    const r = record(current);
    if (r === undefined) return undefined;
    current = r[key];
  }
  return current;
}

/** String map such as labels or a selector's matchLabels; non-string values are dropped. */
export function stringMap(value: unknown): Record<string, string> {
  const r = record(value);
  if (r === undefined) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r)) if (typeof v === "string") out[k] = v;
  return out;
}
