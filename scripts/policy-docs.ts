/**
 * Writes docs/policy-rules.md from the rule catalog (`node scripts/policy-docs.ts`). The test
 * src/policy/docs.test.ts fails when the committed file is stale; run this script to refresh it.
 */
import { writeFileSync } from "node:fs";
import { builtinRules } from "../src/policy/catalog.ts";
import { renderRuleDocs } from "../src/policy/docs.ts";

const target = new URL("../docs/policy-rules.md", import.meta.url);
writeFileSync(target, renderRuleDocs(builtinRules));
console.log(`wrote ${target.pathname} (${builtinRules.length} rules)`);
