/**
 * JSON Schemas for editors, generated from the same zod definitions the parser uses. The
 * committed copies in `schemas/` are checked against these by a test, so they never drift.
 */
import { z } from "zod";
import { appBody, appSpecObject } from "./app-schema.ts";
import { platformSchema } from "./platform-schema.ts";
import { deepPartial } from "./schema-walk.ts";

export const SCHEMA_BASE = "https://slipway.dev/schemas";

export function appJsonSchema(): Record<string, unknown> {
  const overrides = z.record(z.string(), deepPartial(appBody).nullable());
  const schema = appSpecObject.extend({
    environments: overrides
      .optional()
      .describe("Per-environment overrides: maps merge, lists replace, null removes."),
  });
  return withId(
    z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }),
    "app.schema.json",
    "Slipway app (slipway.yaml)",
  );
}

export function platformJsonSchema(): Record<string, unknown> {
  const schema = platformSchema.extend({
    defaults: deepPartial(appBody).optional().describe("A partial slipway.yaml body every app inherits."),
  });
  return withId(
    z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }),
    "platform.schema.json",
    "Slipway platform file (slipway.platform.yaml)",
  );
}

function withId(schema: Record<string, unknown>, file: string, title: string): Record<string, unknown> {
  return {
    ...(standardFormatsOnly(schema) as Record<string, unknown>),
    $id: `${SCHEMA_BASE}/${file}`,
    title,
  };
}

/** The formats JSON Schema 2020-12 defines; editors ignore any other, so it would check nothing. */
export const JSON_SCHEMA_FORMATS = new Set([
  "date-time",
  "date",
  "time",
  "duration",
  "email",
  "idn-email",
  "hostname",
  "idn-hostname",
  "ipv4",
  "ipv6",
  "uri",
  "uri-reference",
  "iri",
  "iri-reference",
  "uuid",
  "uri-template",
  "json-pointer",
  "relative-json-pointer",
  "regex",
]);

/**
 * zod names its own string checks as formats (`startsWith` becomes `format: starts_with`) beside
 * the `pattern` that says the same in JSON Schema: keep the pattern, drop the made-up format.
 */
function standardFormatsOnly(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(standardFormatsOnly);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "format" && typeof value === "string" && !JSON_SCHEMA_FORMATS.has(value)) {
      if (!("pattern" in node)) throw new Error(`format ${value} has no pattern to stand for it`);
      continue;
    }
    out[key] = standardFormatsOnly(value);
  }
  return out;
}

export function schemaFiles(): Record<string, string> {
  return {
    "app.schema.json": `${JSON.stringify(appJsonSchema(), null, 2)}\n`,
    "platform.schema.json": `${JSON.stringify(platformJsonSchema(), null, 2)}\n`,
  };
}
