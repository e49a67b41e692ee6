/**
 * Where a render goes: a channel of the platform, or the preview of one branch. Resolves the
 * platform's patterns into concrete names (namespace, route domain, target label).
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { AppSpec } from "../spec/app-schema.ts";
import { environmentNames, PREVIEW_ENVIRONMENT } from "../spec/parse.ts";
import type { Platform } from "../spec/platform-schema.ts";
import { closest } from "../spec/suggest.ts";
import { asDnsLabel, branchLabel, DNS_LABEL_MAX, fillPattern, labelValue } from "./names.ts";

/**
 * The default name patterns, chosen so that no two (app, target) pairs share a namespace or a
 * preview host. App names never hold `-pr-` nor end in `-pr`, channel names never hold `-pr-` nor
 * start with `pr-` (the schemas and the platform rules refuse them), and both start and end with a
 * letter or digit. So:
 * - a channel namespace `{app}-{channel}` holds no `-pr-`, and a preview's `{app}-pr-{branch}`
 *   does: the two never meet;
 * - in `{app}-pr-{branch}` the first `-pr-` starts right after the app name, so the app is read
 *   back from the name, and the branch label is one to one (`branchLabel`);
 * - `{app}-{channel}` gives two apps the same namespace only when one channel's name ends in
 *   `-<another channel>`, which the platform rules refuse for channels on this pattern.
 * Branch labels are cut so that a default preview name never exceeds 63 characters and so is never
 * shortened (a shortened name ends in a hash and could meet a literal branch of that spelling).
 */
export const DEFAULT_CHANNEL_NAMESPACE = "{app}-{channel}";
export const DEFAULT_PREVIEW_NAMESPACE = "{app}-pr-{branch}";
export const DEFAULT_PREVIEW_HOST = "{app}-pr-{branch}";

export interface RenderTarget {
  /** The value of the `slipway.dev/target` label: the channel name, or `preview-<branch>`. */
  readonly name: string;
  /** The key into `environments:` of slipway.yaml. */
  readonly environment: string;
  readonly kind: "channel" | "preview";
  readonly branch?: string;
  readonly namespace: string;
  /** Whether the render includes the Namespace object (previews own theirs). */
  readonly ownsNamespace: boolean;
  readonly cluster: string;
  readonly production: boolean;
  /** Host for a route that names none, or undefined when the target has no domain. */
  readonly defaultHost?: string;
  /** The channel's (or previews') domain, under which the app owns `<app>.<domain>`. */
  readonly domain?: string;
}

/** Parses `stable` or `preview:<branch>`. */
export function parseTargetRef(
  ref: string,
  platform: Platform,
): { kind: "channel"; channel: string } | { kind: "preview"; branch: string } {
  if (ref.startsWith(`${PREVIEW_ENVIRONMENT}:`)) {
    const branch = ref.slice(PREVIEW_ENVIRONMENT.length + 1);
    if (branch.trim() === "")
      throw inputError(
        `target \`${ref}\` names no branch`,
        "write preview:<branch>, e.g. preview:feature/cart-v2",
      );
    return { kind: "preview", branch };
  }
  const channels = platform.channels.map((c) => c.name);
  if (!channels.includes(ref)) {
    const guess = closest(ref, environmentNames(platform));
    throw inputError(
      `target \`${ref}\` is not a channel of the platform`,
      guess ? `did you mean \`${guess}\`?` : `use one of ${channels.join(", ")} or preview:<branch>`,
    );
  }
  return { kind: "channel", channel: ref };
}

export function resolveTarget(
  ref: string,
  platform: Platform,
  app: Pick<AppSpec, "name" | "team">,
): RenderTarget {
  const parsed = parseTargetRef(ref, platform);
  if (parsed.kind === "preview") {
    const previews = platform.previews;
    if (!previews)
      throw inputError("the platform defines no previews", "add a `previews:` section to the platform file");
    // Room for the default patterns, `{app}-pr-{branch}`, within 63 characters.
    const branch = branchLabel(parsed.branch, DNS_LABEL_MAX - app.name.length - "-pr-".length);
    if (branch === undefined) {
      throw inputError(
        `branch \`${parsed.branch}\` has no letter or digit to name a preview after`,
        "preview a branch whose name holds letters or digits",
      );
    }
    const vars = { app: app.name, team: app.team, channel: PREVIEW_ENVIRONMENT, branch };
    const host = asDnsLabel(fillPattern(previews.host ?? DEFAULT_PREVIEW_HOST, vars));
    return {
      name: labelValue(`preview-${branch}`),
      environment: PREVIEW_ENVIRONMENT,
      kind: "preview",
      branch: parsed.branch,
      namespace: asDnsLabel(fillPattern(previews.namespace ?? DEFAULT_PREVIEW_NAMESPACE, vars)),
      ownsNamespace: true,
      cluster: previews.cluster,
      production: false,
      ...(previews.domain ? { defaultHost: `${host}.${previews.domain}`, domain: previews.domain } : {}),
    };
  }
  const channel = platform.channels.find((c) => c.name === parsed.channel)!;
  const vars = { app: app.name, team: app.team, channel: channel.name, branch: "" };
  return {
    name: channel.name,
    environment: channel.name,
    kind: "channel",
    namespace: asDnsLabel(fillPattern(channel.namespace ?? DEFAULT_CHANNEL_NAMESPACE, vars)),
    ownsNamespace: false,
    cluster: channel.cluster,
    production: channel.production ?? false,
    ...(channel.domain ? { defaultHost: `${app.name}.${channel.domain}`, domain: channel.domain } : {}),
  };
}

function inputError(message: string, hint: string): SlipwayError {
  return new SlipwayError(ErrorCode.Input, `${message} (${hint})`);
}
