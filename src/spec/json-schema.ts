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
  return { ...schema, $id: `${SCHEMA_BASE}/${file}`, title };
}

export function schemaFiles(): Record<string, string> {
  return {
    "app.schema.json": `${JSON.stringify(appJsonSchema(), null, 2)}\n`,
    "platform.schema.json": `${JSON.stringify(platformJsonSchema(), null, 2)}\n`,
  };
}
