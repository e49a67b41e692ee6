/**
 * YAML reads an unquoted `1.10` as the number 1.1, `012345` as 12345, `0x1F` as 31 and a 20-digit
 * number as a float that has lost digits. Where the schema wants text (an env value, a label, an
 * annotation, a config file, an image tag…) the user meant the characters they wrote, so those
 * fields get the scalar's text as written. Fields that want a number (`replicas`, a port) keep the
 * number; a field that takes either (`maxSurge: 1` or `25%`) keeps YAML's reading too.
 */
import { z } from "zod";
import { schemaAt, unwrap } from "./schema-walk.ts";
import type { FieldPath, Literal } from "./yaml-source.ts";

/** The schema at a path of the document, given by the caller (it knows where overrides begin). */
export type SchemaLookup = (path: FieldPath) => z.ZodType | undefined;

/** Replaces, in `value`, every literal whose field wants text with the literal's text. */
export function keepLiteralText(value: unknown, literals: readonly Literal[], lookup: SchemaLookup): void {
  for (const literal of literals) {
    const schema = lookup(literal.path);
    if (schema && wantsText(schema)) setAt(value, literal.path, literal.text);
  }
}

/** A lookup through `root`, switching to `nested` below the given prefixes (overrides, defaults). */
export function lookupIn(
  root: z.ZodType,
  nested: readonly { readonly depth: number; readonly under: string; readonly schema: z.ZodType }[],
): SchemaLookup {
  return (path) => {
    for (const n of nested) {
      if (path[0] === n.under && path.length > n.depth) return schemaAt(n.schema, path.slice(n.depth));
    }
    return schemaAt(root, path);
  };
}

/** True when whatever the field receives ends up as a string: the text as written is what counts. */
function wantsText(schema: z.ZodType): boolean {
  const s = unwrap(schema);
  if (s instanceof z.ZodString) return true;
  // A scalar in a union with a map (an env value or a reference): the scalar options decide.
  if (s instanceof z.ZodUnion) {
    const scalars = (s.options as z.ZodType[]).filter((o) => !isStructure(unwrap(o)));
    return scalars.length > 0 && scalars.every((o) => wantsText(o));
  }
  if (s instanceof z.ZodPipe) {
    const input = unwrap(s.in as z.ZodType);
    // `union(string, number, …).transform(String)`, possibly piped on into a checked string.
    if (s.out instanceof z.ZodTransform) {
      return (
        input instanceof z.ZodUnion &&
        (input.options as z.ZodType[]).some((o) => unwrap(o) instanceof z.ZodString)
      );
    }
    return wantsText(input) && unwrap(s.out as z.ZodType) instanceof z.ZodString;
  }
  return false;
}

function isStructure(s: z.ZodType): boolean {
  return s instanceof z.ZodObject || s instanceof z.ZodArray || s instanceof z.ZodRecord;
}

function setAt(root: unknown, path: FieldPath, text: string): void {
  let current = root;
  for (const segment of path.slice(0, -1)) {
    if (typeof current !== "object" || current === null) return;
    current = (current as Record<string | number, unknown>)[segment];
  }
  const last = path.at(-1);
  if (last === undefined || typeof current !== "object" || current === null) return;
  (current as Record<string | number, unknown>)[last] = text;
}
