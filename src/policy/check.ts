/**
 * The one call render, deploy, promotion gates and `slipway check` make: objects and a resolved
 * policy in, a verdict out. Pure.
 */
import type { KubeObject } from "../core/kube-object.ts";
import { builtinRules } from "./catalog.ts";
import { compileCatalog, evaluate } from "./engine.ts";
import type { ResolvedPolicy } from "./settings.ts";
import type { Rule } from "./types.ts";
import { decide, type Verdict } from "./verdict.ts";

export interface CheckInput {
  readonly objects: readonly KubeObject[];
  readonly policy: ResolvedPolicy;
  /** Custom rules loaded from the platform's directory, added to the built-ins. */
  readonly customRules?: readonly Rule[];
  /** ISO date, for waiver expiry. */
  readonly today: string;
}

export function checkObjects(input: CheckInput): Verdict {
  const rules = [...builtinRules, ...(input.customRules ?? [])];
  const catalog = compileCatalog(rules, input.policy.disabled);
  const findings = evaluate(input.objects, catalog, { context: input.policy.context });
  return decide(findings, {
    mode: input.policy.mode,
    waivers: input.policy.waivers,
    refusedWaivers: input.policy.refusedWaivers,
    maxWaiverDays: input.policy.maxWaiverDays,
    today: input.today,
  });
}
