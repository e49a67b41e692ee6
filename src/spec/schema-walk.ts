/**
 * Introspection of the zod schemas, for the two things zod does not do itself: a deep partial
 * (what an override or a platform default may hold) and finding the schema at a field path (to
 * list the allowed keys when a user misspells one).
 */
import { z } from "zod";
import { lazily } from "./common-schema.ts";
import type { FieldPath } from "./yaml-source.ts";

/**
 * Every object field optional and nullable (`null` removes it in a merge), recursively; lists and
 * maps keep their element schema, because an override replaces a list whole. Refinements that span
 * fields are dropped here and checked again on the merged result.
 */
export function deepPartial(schema: z.ZodType): z.ZodType {
  const described = (s: z.ZodType) => (schema.description ? s.describe(schema.description) : s);
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
    return deepPartial(schema.unwrap() as z.ZodType);
  }
  // A schema built on first use (common-schema's `lazily`): so is its partial.
  if (schema instanceof z.ZodLazy) {
    const lazy = schema;
    return described(lazily(() => deepPartial(lazy.unwrap() as z.ZodType)));
  }
  if (schema instanceof z.ZodObject) {
    const shape: Record<string, z.ZodType> = {};
    for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      // The partial of a nested object or map is built when an override first holds the field:
      // most overrides and platform defaults set a few fields of the app's many.
      const partial = holdsFields(field) ? lazily(() => deepPartial(field)) : deepPartial(field);
      shape[key] = partial.nullable().optional();
    }
    return described(z.strictObject(shape));
  }
  // Entries of a map (processes, cronJobs, env …) are partial too, and `null` removes one.
  if (schema instanceof z.ZodRecord) {
    return described(z.record(schema.keyType, deepPartial(schema.valueType as z.ZodType).nullable()));
  }
  return schema;
}

/** An object or a map, under any optional or nullable wrappers: what `deepPartial` rebuilds. */
function holdsFields(schema: z.ZodType): boolean {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable)
    return holdsFields(schema.unwrap() as z.ZodType);
  return schema instanceof z.ZodObject || schema instanceof z.ZodRecord;
}

/** The object schema's keys at `path`, or `undefined` when the path does not lead to an object. */
export function allowedKeysAt(root: z.ZodType, path: FieldPath): string[] | undefined {
  const schema = schemaAt(root, path);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : undefined;
}

/** The schema of the field at `path` (optional and nullable wrappers removed), if the path leads anywhere. */
export function schemaAt(root: z.ZodType, path: FieldPath): z.ZodType | undefined {
  let current: z.ZodType | undefined = unwrap(root);
  for (const segment of path) {
    if (current instanceof z.ZodObject)
      current = (current.shape as Record<string, z.ZodType>)[String(segment)];
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else if (current instanceof z.ZodRecord) current = current.valueType as z.ZodType;
    else return undefined;
    current = current === undefined ? undefined : unwrap(current);
  }
  return current;
}

export function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (
    s instanceof z.ZodOptional ||
    s instanceof z.ZodNullable ||
    s instanceof z.ZodDefault ||
    s instanceof z.ZodLazy
  ) {
    s = s.unwrap() as z.ZodType;
  }
  return s;
}
