import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { builtinRules } from "./catalog.ts";
import { renderRuleDocs } from "./docs.ts";

test("docs/policy-rules.md is what the catalog generates (run `node scripts/policy-docs.ts` to refresh)", () => {
  const committed = readFileSync(new URL("../../docs/policy-rules.md", import.meta.url), "utf8");
  assert.ok(
    committed === renderRuleDocs(builtinRules),
    "docs/policy-rules.md is stale: run `node scripts/policy-docs.ts`",
  );
});

test("every rule has a section in the generated documentation", () => {
  const doc = renderRuleDocs(builtinRules);
  for (const r of builtinRules) assert.ok(doc.includes(`\n## ${r.id}\n`), r.id);
});
