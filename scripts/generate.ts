/** Regenerates committed, derived files: the JSON Schemas in `schemas/`. Run: node scripts/generate.ts */
import { mkdirSync, writeFileSync } from "node:fs";
import { schemaFiles } from "../src/spec/json-schema.ts";

mkdirSync("schemas", { recursive: true });
for (const [name, text] of Object.entries(schemaFiles())) {
  writeFileSync(`schemas/${name}`, text);
  console.log(`wrote schemas/${name}`);
}
