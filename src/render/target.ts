/**
 * Where a render goes: a channel of the platform, or the preview of one branch. Resolves the
 * platform's patterns into concrete names (namespace, route domain, target label).
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { AppSpec } from "../spec/app-schema.ts";
import { environmentNames, PREVIEW_ENVIRONMENT } from "../spec/parse.ts";
import type { Platform } from "../spec/platform-schema.ts";
import { closest } from "../spec/suggest.ts";
import { dnsLabel, fillPattern, labelValue, sanitizeLabel } from "./names.ts";

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
    const branch = sanitizeLabel(parsed.branch);
    const vars = { app: app.name, team: app.team, channel: PREVIEW_ENVIRONMENT, branch };
    const host = dnsLabel(fillPattern(previews.host ?? "{app}-{branch}", vars));
    return {
      name: labelValue(`preview-${branch}`),
      environment: PREVIEW_ENVIRONMENT,
      kind: "preview",
      branch: parsed.branch,
      namespace: dnsLabel(fillPattern(previews.namespace ?? "{app}-pr-{branch}", vars)),
      ownsNamespace: true,
      cluster: previews.cluster,
      production: false,
      ...(previews.domain ? { defaultHost: `${host}.${previews.domain}` } : {}),
    };
  }
  const channel = platform.channels.find((c) => c.name === parsed.channel)!;
  const vars = { app: app.name, team: app.team, channel: channel.name, branch: "" };
  return {
    name: channel.name,
    environment: channel.name,
    kind: "channel",
    namespace: dnsLabel(fillPattern(channel.namespace ?? "{app}-{channel}", vars)),
    ownsNamespace: false,
    cluster: channel.cluster,
    production: channel.production ?? false,
    ...(channel.domain ? { defaultHost: `${app.name}.${channel.domain}` } : {}),
  };
}

function inputError(message: string, hint: string): SlipwayError {
  return new SlipwayError(ErrorCode.Input, `${message} (${hint})`);
}
