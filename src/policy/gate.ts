/**
 * Policy as a gate, for render, deploy and promotion: resolve the target's policy, check the
 * objects, and turn a blocking verdict into the one typed error those paths raise
 * (SLIPWAY_E_POLICY_BLOCKED: exit 1 in the CLI, 422 over HTTP). The verdict itself stays data;
 * only the caller that must stop converts it, so a deployment record can still store the findings.
 *
 *   const verdict = policyGate({ objects, platform: platform.platform, app: app.spec, target, today });
 *   if (!verdict.passed) throw policyBlocked(verdict, target.name);
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import { checkObjects } from "./check.ts";
import type { AppPolicy } from "./config.ts";
import {
  type PlatformForPolicy,
  policyForTarget,
  type TargetPolicyOverrides,
  type TargetRef,
} from "./target-policy.ts";
import type { Rule } from "./types.ts";
import type { Verdict } from "./verdict.ts";

export interface GateInput {
  readonly objects: readonly KubeObject[];
  readonly platform: PlatformForPolicy;
  readonly app?: { readonly name?: string; readonly policy?: AppPolicy | undefined };
  readonly target: TargetRef;
  readonly customRules?: readonly Rule[];
  /** ISO date, for waiver expiry. */
  readonly today: string;
  readonly overrides?: TargetPolicyOverrides;
}

export function policyGate(input: GateInput): Verdict {
  const policy = policyForTarget(input.platform, input.target, input.app, input.overrides);
  if ("unknownChannel" in policy) {
    throw new SlipwayError(
      ErrorCode.Input,
      `target ${policy.unknownChannel} is not a channel of the platform (one of: ${policy.known.join(", ")})`,
    );
  }
  return checkObjects({
    objects: input.objects,
    policy,
    ...(input.customRules ? { customRules: input.customRules } : {}),
    today: input.today,
  });
}

/** The error a blocked render, deploy or promotion raises; the findings travel in `details`. */
export function policyBlocked(verdict: Verdict, target: string): SlipwayError {
  const lines = verdict.blocking.map((f) => `  ${f.object} ${f.path}: ${f.message} [${f.ruleId}]`);
  return new SlipwayError(
    ErrorCode.PolicyBlocked,
    `policy blocks ${target}: ${verdict.blocking.length} finding${verdict.blocking.length === 1 ? "" : "s"} of enforced rules\n${lines.join("\n")}\n  (fix them, or waive a rule in slipway.yaml under policy.waivers with a reason and an expiry date, where the platform file's policy.waivers.allow permits it)${refusedNote(verdict)}`,
    { details: { target, blocking: verdict.blocking, counts: verdict.counts } },
  );
}

function refusedNote(verdict: Verdict): string {
  return verdict.refusedWaivers
    .map(({ waiver, reason }) => `\n  refused waiver: ${waiver.rule} until ${waiver.expires} — ${reason}`)
    .join("");
}
