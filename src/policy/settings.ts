/**
 * One target's policy, resolved from the platform file, the channel and the app: the context the
 * rules see, the mode, the waivers and the rules switched off. Render, deploy, promotion and
 * `slipway check --app` all resolve it here, so they agree on what blocks.
 */
import {
  type AppPolicy,
  type ChannelPolicy,
  DEFAULT_ALLOWED_CAPABILITIES,
  DEFAULT_MAX_WAIVER_DAYS,
  defaultModeFor,
  type PlatformPolicy,
  PolicyMode,
  unwaivableReason,
  unwaivableRules,
  type Waiver,
  type WaiverAllow,
} from "./config.ts";
import type { PolicyContext } from "./types.ts";

/** A waiver the app wrote that does not apply, and why. */
export interface RefusedWaiver {
  readonly waiver: Waiver;
  readonly reason: string;
}

export interface TargetPolicyInput {
  /** The channel the objects go to; undefined for previews and loose manifests. */
  readonly channel?: {
    readonly name: string;
    readonly production?: boolean;
    readonly policy?: ChannelPolicy | undefined;
  };
  /** Preview targets carry their own policy block in the platform file. */
  readonly preview?: { readonly name: string; readonly policy?: ChannelPolicy | undefined };
  readonly platform?: PlatformPolicy;
  readonly app?: AppPolicy | undefined;
  /** The app's name, which the platform's waiver allowlist may name. */
  readonly appName?: string | undefined;
  readonly kubernetesVersion?: string;
  /** A `--mode` given on the command line wins over the platform file. */
  readonly modeOverride?: PolicyMode;
}

export interface ResolvedPolicy {
  readonly context: PolicyContext;
  readonly mode: PolicyMode;
  /** The app's waivers the platform allows for this app and target (lifetime is checked later). */
  readonly waivers: readonly Waiver[];
  /** The app's waivers the platform does not allow here; they waive nothing. */
  readonly refusedWaivers: readonly RefusedWaiver[];
  /** How many days ahead a waiver may expire. */
  readonly maxWaiverDays: number;
  readonly disabled: readonly string[];
}

export function resolvePolicy(input: TargetPolicyInput): ResolvedPolicy {
  const production = input.channel?.production ?? false;
  const configured = input.channel?.policy?.mode ?? input.preview?.policy?.mode;
  return {
    context: {
      channel: input.channel?.name ?? input.preview?.name ?? "",
      production,
      requiredLabels: input.platform?.requiredLabels ?? [],
      allowedCapabilities: input.platform?.allowedCapabilities ?? DEFAULT_ALLOWED_CAPABILITIES,
      ...(input.kubernetesVersion === undefined ? {} : { kubernetesVersion: input.kubernetesVersion }),
    },
    // Loose manifests (no channel, no preview) are checked to gate CI: enforce unless told otherwise.
    mode:
      input.modeOverride ??
      configured ??
      (input.channel || input.preview ? defaultModeFor(production) : PolicyMode.Enforce),
    ...vetWaivers(input),
    maxWaiverDays: input.platform?.waivers?.maxDays ?? DEFAULT_MAX_WAIVER_DAYS,
    disabled: input.platform?.disabled ?? [],
  };
}

/** Splits the app's waivers into those the platform's allowlist admits here and those it does not. */
function vetWaivers(input: TargetPolicyInput): Pick<ResolvedPolicy, "waivers" | "refusedWaivers"> {
  const allow = input.platform?.waivers?.allow ?? [];
  // Previews are named by branch; the allowlist speaks of them all as `preview`.
  const where = input.preview ? "preview" : input.channel?.name;
  const waivers: Waiver[] = [];
  const refusedWaivers: RefusedWaiver[] = [];
  for (const waiver of input.app?.waivers ?? []) {
    if (unwaivableRules.has(waiver.rule))
      refusedWaivers.push({ waiver, reason: unwaivableReason(waiver.rule) });
    else if (allow.some((a) => admits(a, waiver.rule, input.appName, where))) waivers.push(waiver);
    else
      refusedWaivers.push({
        waiver,
        reason: `the platform does not allow waiving ${waiver.rule} for ${input.appName ? `app ${input.appName}` : "this app"}${where ? ` on ${where}` : ""} (platform file: policy.waivers.allow)`,
      });
  }
  return { waivers, refusedWaivers };
}

function admits(a: WaiverAllow, rule: string, app: string | undefined, where: string | undefined): boolean {
  if (a.rule !== rule) return false;
  if (a.apps !== undefined && (app === undefined || !a.apps.includes(app))) return false;
  return a.channels === undefined || (where !== undefined && a.channels.includes(where));
}
