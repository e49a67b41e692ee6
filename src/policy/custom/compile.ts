/**
 * Turns a validated custom rule into an ordinary `Rule`: the engine, the verdict, the generated
 * documentation and the example check treat it exactly like a built-in one.
 */
import { isDeepStrictEqual } from "node:util";
import type { KubeObject } from "../../core/kube-object.ts";
import type { PolicyContext, Rule, Violation } from "../types.ts";
import { parseFieldPath, resolvePath, type Segment } from "./field-path.ts";
import type { Assertion, CustomRuleSpec } from "./schema.ts";

interface CompiledAssertion {
  readonly assertion: Assertion;
  readonly segments: readonly Segment[];
  readonly pattern?: RegExp;
  readonly notPattern?: RegExp;
}

function show(value: unknown): string {
  return value === undefined ? "(missing)" : typeof value === "string" ? value : JSON.stringify(value);
}

/** The default message when the rule file gives none: what was expected at which path. */
function failure(c: CompiledAssertion, value: unknown): string | undefined {
  const a = c.assertion;
  if (a.exists === true && value === undefined) return "is missing";
  if (a.exists === false && value !== undefined) return "must not be set";
  if (value === undefined) return undefined; // the remaining conditions only judge present values
  if ("equals" in a && !isDeepStrictEqual(value, a.equals))
    return `is ${show(value)}, expected ${show(a.equals)}`;
  if (a.oneOf && !a.oneOf.some((v) => isDeepStrictEqual(v, value))) {
    return `is ${show(value)}, expected one of ${a.oneOf.map(show).join(", ")}`;
  }
  if (c.pattern && !(typeof value === "string" && c.pattern.test(value)))
    return `${show(value)} does not match ${a.pattern}`;
  if (c.notPattern && typeof value === "string" && c.notPattern.test(value))
    return `${show(value)} matches ${a.notPattern}`;
  if (a.min !== undefined && !(typeof value === "number" && value >= a.min))
    return `is ${show(value)}, expected at least ${a.min}`;
  if (a.max !== undefined && !(typeof value === "number" && value <= a.max))
    return `is ${show(value)}, expected at most ${a.max}`;
  return undefined;
}

export function compileCustomRule(spec: CustomRuleSpec, source: string): Rule {
  const assertions: CompiledAssertion[] = spec.assert.map((assertion) => ({
    assertion,
    segments: parseFieldPath(assertion.path),
    ...(assertion.pattern === undefined ? {} : { pattern: new RegExp(assertion.pattern) }),
    ...(assertion.notPattern === undefined ? {} : { notPattern: new RegExp(assertion.notPattern) }),
  }));
  const onlyProduction = spec.match.production;
  const ex = spec.examples;
  return {
    id: spec.id,
    title: spec.title,
    rationale: spec.rationale,
    severity: spec.severity,
    hint: spec.hint,
    kinds: spec.match.kinds,
    source,
    check: (o: KubeObject, env) => {
      if (onlyProduction !== undefined && env.context.production !== onlyProduction) return [];
      const out: Violation[] = [];
      for (const c of assertions) {
        for (const m of resolvePath(o, c.segments)) {
          const why = failure(c, m.value);
          if (why === undefined) continue;
          const message = c.assertion.message
            ? c.assertion.message.replaceAll("{path}", m.path).replaceAll("{value}", show(m.value))
            : `${m.path} ${why}`;
          out.push({ path: m.path, message });
        }
      }
      return out;
    },
    examples: {
      ...(ex.context === undefined ? {} : { context: ex.context as Partial<PolicyContext> }),
      pass: ex.pass as KubeObject[],
      fail: ex.fail as KubeObject[],
      expect: ex.expect,
    },
  };
}
