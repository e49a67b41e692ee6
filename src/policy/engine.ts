/**
 * The policy engine: objects in, findings out. Pure and single-pass: the index of the whole set is
 * built once, rules are grouped by the kinds they look at, and each object meets only the rules
 * for its kind. What a finding means (block or warn, waived or not) is decided afterwards by
 * `decide` in `verdict.ts`, so that the same findings serve `check`, render and promotion gates.
 */
import { type KubeObject, objectRef } from "../core/kube-object.ts";
import { anyKind } from "./kinds.ts";
import { buildIndex } from "./object-index.ts";
import { defaultContext, type Finding, type PolicyContext, type Rule, type RuleEnv } from "./types.ts";

export interface EvaluateOptions {
  readonly context?: Partial<PolicyContext>;
  /** Rule IDs switched off by the platform. */
  readonly disabled?: readonly string[];
}

/** Rules grouped by kind, built once and reused for many evaluations (the benchmark does). */
export interface Catalog {
  readonly rules: readonly Rule[];
  forKind(kind: string): readonly Rule[];
}

export function compileCatalog(rules: readonly Rule[], disabled: readonly string[] = []): Catalog {
  const off = new Set(disabled);
  const active = rules.filter((r) => !off.has(r.id));
  const everywhere = active.filter((r) => r.kinds.includes(anyKind));
  const byKind = new Map<string, Rule[]>();
  for (const rule of active) {
    for (const kind of rule.kinds) {
      if (kind === anyKind) continue;
      let bucket = byKind.get(kind);
      if (!bucket) {
        bucket = [...everywhere];
        byKind.set(kind, bucket);
      }
      bucket.push(rule);
    }
  }
  return { rules: active, forKind: (kind) => byKind.get(kind) ?? everywhere };
}

export function evaluate(
  objects: readonly KubeObject[],
  rules: readonly Rule[] | Catalog,
  options: EvaluateOptions = {},
): Finding[] {
  const catalog = "forKind" in rules ? rules : compileCatalog(rules, options.disabled);
  const context: PolicyContext = { ...defaultContext, ...options.context };
  const env: RuleEnv = { context, index: buildIndex(objects) };
  const findings: Finding[] = [];
  for (const object of objects) {
    let ref: string | undefined;
    for (const rule of catalog.forKind(object.kind)) {
      const violations = rule.check(object, env);
      if (violations.length === 0) continue;
      ref ??= objectRef(object);
      for (const v of violations) {
        findings.push({
          ruleId: rule.id,
          severity: rule.severity,
          object: ref,
          path: v.path,
          message: v.message,
          hint: rule.hint,
        });
      }
    }
  }
  return findings;
}
