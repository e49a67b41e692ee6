import assert from "node:assert/strict";
import { test } from "node:test";
import { builtinRules } from "./catalog.ts";
import { evaluate } from "./engine.ts";
import { goodApp } from "./fixtures.ts";
import { verifyRuleExamples } from "./rule-examples.ts";

test("the catalog has at least 30 rules with unique kebab-case IDs and full documentation", () => {
  assert.ok(builtinRules.length >= 30, `only ${builtinRules.length} rules`);
  const ids = new Set<string>();
  for (const r of builtinRules) {
    assert.match(r.id, /^[a-z][a-z0-9-]+$/, r.id);
    assert.ok(!ids.has(r.id), `duplicate id ${r.id}`);
    ids.add(r.id);
    for (const field of ["title", "rationale", "hint"] as const)
      assert.ok(r[field].length > 5, `${r.id}.${field}`);
    assert.ok(r.kinds.length > 0, `${r.id} looks at no kind`);
  }
});

for (const rule of builtinRules) {
  test(`rule ${rule.id}: its passing example passes and its failing example reports the expected path and message`, () => {
    assert.deepEqual(verifyRuleExamples(rule), []);
  });
}

test("the reference app passes every rule, also in a production channel with required labels", () => {
  const findings = evaluate(goodApp(), builtinRules, {
    context: { channel: "stable", production: true, requiredLabels: ["team", "app.kubernetes.io/name"] },
  });
  assert.deepEqual(findings, []);
});
