/**
 * The vocabulary of the policy engine: rules, the context a caller passes, and findings. A finding
 * is data — "deny" is a finding with an enforced severity, never an exception — so callers
 * (render, deploy, promotion gates, `slipway check`) decide what a finding means for them.
 */
import type { KubeObject } from "../core/kube-object.ts";
import type { ObjectIndex } from "./object-index.ts";

export const Severity = { Error: "error", Warning: "warning", Info: "info" } as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

/** What the caller knows about where the objects are going. */
export interface PolicyContext {
  /** Channel or preview name, e.g. `stable`; `""` when checking loose manifests. */
  readonly channel: string;
  /** Production channels demand redundancy (replicas, spread, HPA minimum). */
  readonly production: boolean;
  /** Labels every object must carry, e.g. `team`, `app.kubernetes.io/name`. */
  readonly requiredLabels: readonly string[];
  /** Kubernetes version the objects are meant for (`1.31`); the deprecated-API rule uses it. */
  readonly kubernetesVersion?: string;
  /** Capabilities containers may add (rule allowed-capabilities); default NET_BIND_SERVICE only. */
  readonly allowedCapabilities?: readonly string[];
}

export const defaultContext: PolicyContext = { channel: "", production: false, requiredLabels: [] };

/** One violation as a rule reports it: where in the object and what is wrong. */
export interface Violation {
  /** Dotted path into the object, e.g. `spec.template.spec.containers[0].resources.requests`. */
  readonly path: string;
  readonly message: string;
}

/** What a rule sees besides the object itself. */
export interface RuleEnv {
  readonly context: PolicyContext;
  /** Every object of the checked set, for cross-object rules. */
  readonly index: ObjectIndex;
}

/** A fixture that proves a rule: `pass` yields nothing, `fail` yields `expect` (and maybe more). */
export interface RuleExamples {
  readonly context?: Partial<PolicyContext>;
  readonly pass: readonly KubeObject[];
  readonly fail: readonly KubeObject[];
  readonly expect: { readonly object: string; readonly path: string; readonly message: string };
}

export interface Rule {
  /** Stable, kebab-case; waivers and platform settings name rules by it. */
  readonly id: string;
  readonly title: string;
  /** Why the rule exists, in a sentence or two; printed in the generated documentation. */
  readonly rationale: string;
  readonly severity: Severity;
  /** What to change so the rule passes. */
  readonly hint: string;
  /** Kinds the rule looks at; the engine skips the rule for every other kind. */
  readonly kinds: readonly string[];
  /** Where the rule comes from: built in, or a custom rules file. */
  readonly source?: string;
  readonly check: (object: KubeObject, env: RuleEnv) => readonly Violation[];
  readonly examples: RuleExamples;
}

export interface Finding {
  readonly ruleId: string;
  readonly severity: Severity;
  /** `kind/namespace/name` (see `objectRef`). */
  readonly object: string;
  readonly path: string;
  readonly message: string;
  readonly hint: string;
  /** Set when a waiver covers the finding (it is then neither counted nor enforced). */
  readonly waived?: { readonly reason: string; readonly expires: string };
  /** Set when a waiver for this finding has run out: it no longer waives, and says so. */
  readonly expiredWaiver?: { readonly reason: string; readonly expires: string };
  /** Set when the app waives this finding but the platform does not let it: why not. */
  readonly refusedWaiver?: { readonly reason: string; readonly expires: string; readonly refused: string };
}
