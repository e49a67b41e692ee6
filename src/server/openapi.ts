/** The OpenAPI 3.1 document, generated from the same route list and zod schemas the server runs. */
import { z } from "zod";
import { errorBodySchema } from "../api/resources.ts";
import type { RouteDef } from "./route.ts";

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

function parametersOf(schema: z.ZodType | undefined, where: "path" | "query"): JsonSchema[] {
  if (schema === undefined) return [];
  const json = schemaOf(schema, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (json.required ?? []).includes(name),
    schema: property,
  }));
}

export function openApiDocument(routes: readonly RouteDef[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const errorResponse = {
    description: "error",
    content: { "application/json": { schema: schemaOf(errorBodySchema, "output") } },
  };
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z]+)/g, "{$1}");
    const operation: JsonSchema = {
      summary: r.summary,
      operationId: `${r.method}${path.replace(/[^A-Za-z]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ""))}`,
      "x-slipway-access": r.access,
      security: [{ bearer: [] }],
      parameters: [...parametersOf(r.params, "path"), ...parametersOf(r.query, "query")],
      responses: {
        [String(r.status ?? 200)]: {
          description: "success",
          content: { "application/json": { schema: schemaOf(r.response, "output") } },
        },
        "4XX": errorResponse,
      },
    };
    if (r.body !== undefined) {
      operation.requestBody = {
        required: true,
        content: { "application/json": { schema: schemaOf(r.body, "input") } },
      };
    }
    paths[path] = { ...paths[path], [r.method]: operation };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Slipway API", version: "1" },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    paths,
  };
}
