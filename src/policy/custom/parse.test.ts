import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { isSlipwayError } from "../../core/errors.ts";
import { builtinRules } from "../catalog.ts";
import { evaluate } from "../engine.ts";
import { deployment } from "../fixtures.ts";
import { verifyRuleExamples } from "../rule-examples.ts";
import { parseCustomRules } from "./parse.ts";

const builtinIds = new Set(builtinRules.map((r) => r.id));
const sample = {
  path: "policies/acme-rules.yaml",
  text: readFileSync(new URL("./testdata/acme-rules.yaml", import.meta.url), "utf8"),
};

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (isSlipwayError(error))
      return error.problems.map((p) => `${p.file}:${p.line} ${p.path}: ${p.message}`);
    throw error;
  }
  assert.fail("expected the rules to be refused");
}

test("custom rules load from YAML, are proved by their own examples, and run like built-ins", () => {
  const rules = parseCustomRules([sample], builtinIds);
  assert.deepEqual(
    rules.map((r) => r.id),
    ["acme-owner-annotation", "acme-registry"],
  );
  for (const r of rules) assert.deepEqual(verifyRuleExamples(r), []);
  const findings = evaluate([deployment()], rules);
  assert.deepEqual(
    findings.map((f) => `${f.ruleId} ${f.path}: ${f.message}`),
    [
      'acme-owner-annotation metadata.annotations["acme.com/owner"]: metadata.annotations["acme.com/owner"] is missing',
      "acme-registry spec.template.spec.containers[0].image: image registry.example.com/shop/web:1.4.2@sha256:" +
        `${"ab12".repeat(16)} is not from registry.acme.com`,
    ],
  );
});

test("a custom rule whose failing example does not fail is refused at load, naming the file and line", () => {
  const broken = {
    path: sample.path,
    text: sample.text.replace("message: image {value} is not", "message: image {value} isn't"),
  };
  const problems = problemsOf(() => parseCustomRules([broken], builtinIds));
  assert.equal(problems.length, 1);
  assert.match(
    problems[0] ?? "",
    /^policies\/acme-rules\.yaml:\d+ examples: acme-registry: failing example should report/,
  );
});

test("a schema mistake names file:line and field; a built-in ID is refused", () => {
  const text = [
    "apiVersion: slipway.dev/v1",
    "kind: PolicyRule",
    "id: run-as-non-root",
    "title: Duplicate",
    "rationale: collides with a built-in rule on purpose",
    "severity: fatal",
    "hint: none at all",
    "match: { kinds: [Pod] }",
    "assert: [{ path: spec.hostNetwork, exists: false }]",
    "examples: { pass: [], fail: [], expect: { object: x, path: y, message: z } }",
  ].join("\n");
  const problems = problemsOf(() => parseCustomRules([{ path: "p.yaml", text }], builtinIds));
  assert.ok(
    problems.some((p) => p.startsWith("p.yaml:6 severity:")),
    problems.join("\n"),
  );
  const dup = problemsOf(() =>
    parseCustomRules(
      [{ path: "p.yaml", text: sample.text.replace("id: acme-registry", "id: run-as-non-root") }],
      builtinIds,
    ),
  );
  assert.ok(
    dup.some((p) => /^p\.yaml:\d+ id: rule ID "run-as-non-root" is already used by a built-in rule$/.test(p)),
    dup.join("\n"),
  );
});

test("unparseable YAML in a rule file is an input error with file:line", () => {
  const problems = problemsOf(() =>
    parseCustomRules([{ path: "bad.yaml", text: "id: [unclosed\n" }], builtinIds),
  );
  assert.match(problems[0] ?? "", /^bad\.yaml:\d+ /);
});

test("an alias bomb in a rule file is refused by file and line, not an internal error", () => {
  const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (const [i, n] of [..."bcdefghi"].entries()) {
    levels.push(`${n}: &${n} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(", ")}]`);
  }
  const problems = problemsOf(() =>
    parseCustomRules([{ path: "bomb.yaml", text: `${levels.join("\n")}\n` }], builtinIds),
  );
  assert.match(problems[0] ?? "", /^bomb\.yaml:1 : aliases expand this document too far/);
});
