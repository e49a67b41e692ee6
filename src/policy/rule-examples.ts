/**
 * Runs a rule against its own examples: the passing set must yield no finding from this rule, the
 * failing set must yield the expected one (object, path and message). Built-in and custom rules
 * are proved by this same function: the built-ins in tests, custom rules each time they are loaded.
 */
import { evaluate } from "./engine.ts";
import type { Rule } from "./types.ts";

/** What is wrong with the rule's examples; empty when they prove the rule. */
export function verifyRuleExamples(rule: Rule): string[] {
  const problems: string[] = [];
  const { context, pass, fail, expect } = rule.examples;
  const options = context === undefined ? {} : { context };
  const passed = evaluate(pass, [rule], options);
  for (const f of passed)
    problems.push(`${rule.id}: passing example reports ${f.object} ${f.path}: ${f.message}`);
  const failed = evaluate(fail, [rule], options);
  const hit = failed.some(
    (f) => f.object === expect.object && f.path === expect.path && f.message === expect.message,
  );
  if (!hit) {
    const got = failed.map((f) => `${f.object} ${f.path}: ${f.message}`).join("; ") || "nothing";
    problems.push(
      `${rule.id}: failing example should report ${expect.object} ${expect.path}: ${expect.message} — got ${got}`,
    );
  }
  return problems;
}
