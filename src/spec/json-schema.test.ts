/** The JSON Schemas shipped for editors are generated from the parser's own definitions and kept fresh. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { JSON_SCHEMA_FORMATS, schemaFiles } from "./json-schema.ts";

test("schemas/ holds exactly what the zod definitions generate (run `npm run generate` after a change)", () => {
  for (const [name, text] of Object.entries(schemaFiles())) {
    const committed = readFileSync(new URL(`../../schemas/${name}`, import.meta.url), "utf8");
    assert.equal(committed, text, `schemas/${name} is stale: run npm run generate`);
  }
});

test("the app schema knows every field and the override shape", () => {
  const schema = JSON.parse(schemaFiles()["app.schema.json"]!) as {
    properties: Record<string, unknown>;
    additionalProperties: boolean;
    required: string[];
  };
  for (const field of [
    "name",
    "team",
    "image",
    "autoscaling",
    "health",
    "warmup",
    "shutdown",
    "routes",
    "environments",
  ]) {
    assert.ok(field in schema.properties, field);
  }
  assert.equal(schema.additionalProperties, false, "unknown fields are errors in editors too");
  assert.deepEqual([...schema.required].sort(), ["apiVersion", "image", "kind", "name", "team"]);
});

test("the schemas use only JSON Schema's own formats: a path's leading slash is a pattern editors check", () => {
  const formats: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        if (key === "format" && typeof value === "string") formats.push(value);
        walk(value);
      }
    }
  };
  for (const text of Object.values(schemaFiles())) walk(JSON.parse(text));
  assert.deepEqual(
    formats.filter((f) => !JSON_SCHEMA_FORMATS.has(f)),
    [],
    "formats editors ignore",
  );
  const app = JSON.parse(schemaFiles()["app.schema.json"]!) as {
    properties: { configFiles: { items: { properties: { path: { pattern: string; format?: string } } } } };
  };
  const path = app.properties.configFiles.items.properties.path;
  assert.equal(path.format, undefined);
  assert.ok(new RegExp(path.pattern).test("/etc/app.yaml"));
  assert.ok(!new RegExp(path.pattern).test("etc/app.yaml"));
});
