/**
 * The policy of one render target, read from the parsed platform file and slipway.yaml: the one
 * function `slipway check --app`, render, deploy and promotion gates call, so that they agree on
 * mode, production-ness, required labels, disabled rules, waivers and Kubernetes version.
 * The inputs are structural (the shapes `src/spec` parses), so policy does not depend on spec.
 */
import type { AppPolicy, ChannelPolicy, PlatformPolicy, PolicyMode } from "./config.ts";
import { type ResolvedPolicy, resolvePolicy } from "./settings.ts";

export interface PlatformForPolicy {
  readonly clusters: readonly { readonly name: string; readonly kubernetesVersion?: string | undefined }[];
  readonly channels: readonly {
    readonly name: string;
    readonly cluster: string;
    readonly production?: boolean | undefined;
    readonly policy?: ChannelPolicy | undefined;
  }[];
  readonly previews?: { readonly policy?: ChannelPolicy | undefined } | undefined;
  readonly policy?: PlatformPolicy | undefined;
}

export interface TargetRef {
  /** `channel`: a channel of the platform by name; `preview`: a branch preview. */
  readonly kind: "channel" | "preview";
  readonly name: string;
}

export interface TargetPolicyOverrides {
  readonly mode?: PolicyMode;
  readonly production?: boolean;
  readonly kubernetesVersion?: string;
  readonly requiredLabels?: readonly string[];
}

/** Undefined channel name → loose manifests (no channel); an unknown channel name is reported. */
export function policyForTarget(
  platform: PlatformForPolicy | undefined,
  target: TargetRef | undefined,
  app: { readonly name?: string; readonly policy?: AppPolicy | undefined } | undefined,
  overrides: TargetPolicyOverrides = {},
): ResolvedPolicy | { readonly unknownChannel: string; readonly known: readonly string[] } {
  const channel =
    target?.kind === "channel" ? platform?.channels.find((c) => c.name === target.name) : undefined;
  if (target?.kind === "channel" && platform !== undefined && channel === undefined) {
    return { unknownChannel: target.name, known: platform.channels.map((c) => c.name) };
  }
  const production = overrides.production ?? channel?.production ?? false;
  const kubernetesVersion =
    overrides.kubernetesVersion ??
    platform?.clusters.find((c) => c.name === channel?.cluster)?.kubernetesVersion;
  const requiredLabels = [...(platform?.policy?.requiredLabels ?? []), ...(overrides.requiredLabels ?? [])];
  return resolvePolicy({
    ...(target?.kind === "channel" || overrides.production
      ? { channel: { name: target?.name ?? "", production, policy: channel?.policy } }
      : {}),
    ...(target?.kind === "preview"
      ? { preview: { name: target.name, policy: platform?.previews?.policy } }
      : {}),
    platform: { ...platform?.policy, requiredLabels, disabled: platform?.policy?.disabled ?? [] },
    app: app?.policy,
    appName: app?.name,
    ...(kubernetesVersion === undefined ? {} : { kubernetesVersion }),
    ...(overrides.mode === undefined ? {} : { modeOverride: overrides.mode }),
  });
}
