/**
 * One target's policy, resolved from the platform file, the channel and the app: the context the
 * rules see, the mode, the waivers and the rules switched off. Render, deploy, promotion and
 * `slipway check --app` all resolve it here, so they agree on what blocks.
 */
import {
  type AppPolicy,
  type ChannelPolicy,
  defaultModeFor,
  type PlatformPolicy,
  PolicyMode,
  type Waiver,
} from "./config.ts";
import type { PolicyContext } from "./types.ts";

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
  readonly kubernetesVersion?: string;
  /** A `--mode` given on the command line wins over the platform file. */
  readonly modeOverride?: PolicyMode;
}

export interface ResolvedPolicy {
  readonly context: PolicyContext;
  readonly mode: PolicyMode;
  readonly waivers: readonly Waiver[];
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
      ...(input.kubernetesVersion === undefined ? {} : { kubernetesVersion: input.kubernetesVersion }),
    },
    // Loose manifests (no channel, no preview) are checked to gate CI: enforce unless told otherwise.
    mode:
      input.modeOverride ??
      configured ??
      (input.channel || input.preview ? defaultModeFor(production) : PolicyMode.Enforce),
    waivers: input.app?.waivers ?? [],
    disabled: input.platform?.disabled ?? [],
  };
}
