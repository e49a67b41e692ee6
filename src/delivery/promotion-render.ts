/**
 * A release as it would be in a channel, without deploying it: its snapshot rendered for the
 * channel (no secret is opened: Secrets render without values), the channel's policy as if it
 * were enforced (the promotion's policy gate), and the manifest diff against what the channel runs
 * now (`promote --dry-run`), secret values redacted.
 */
import { isSlipwayError } from "../core/errors.ts";
import { type KubeObject, objectRef } from "../core/kube-object.ts";
import { policyGate } from "../policy/gate.ts";
import type { Rule } from "../policy/types.ts";
import { render } from "../render/render.ts";
import { type LoadedPlatform, parseAppSpec } from "../spec/parse.ts";
import type { PolicyFact } from "./gates.ts";
import { manifestYaml } from "./manifest-yaml.ts";
import { redactPair } from "./redact.ts";
import { SNAPSHOT_SPEC } from "./release-snapshot.ts";
import { unifiedDiff } from "./unified-diff.ts";

export interface ReleaseToRender {
  readonly id: string;
  readonly commitSha: string;
  readonly imageDigest: string;
  readonly specText: string;
}

export interface RenderedForChannel {
  readonly objects: readonly KubeObject[];
  readonly policy: PolicyFact;
}

/** Renders and checks; a spec the platform no longer accepts is a policy fact with its error. */
export function renderForChannel(
  release: ReleaseToRender,
  channel: string,
  context: { platform: LoadedPlatform; customRules?: readonly Rule[]; today: string },
): RenderedForChannel {
  try {
    const app = parseAppSpec(
      release.specText,
      `${release.commitSha.slice(0, 12)}:${SNAPSHOT_SPEC}`,
      context.platform,
    );
    const result = render({
      app,
      platform: context.platform,
      target: channel,
      image: release.imageDigest,
      release: release.id,
    });
    const verdict = policyGate({
      objects: result.objects,
      platform: context.platform.platform,
      app: result.spec,
      target: { kind: result.target.kind, name: result.target.name },
      ...(context.customRules === undefined ? {} : { customRules: context.customRules }),
      today: context.today,
      overrides: { mode: "enforce" },
    });
    return {
      objects: result.objects,
      policy: {
        passed: verdict.passed,
        blocking: verdict.blocking.map((f) => ({ ruleId: f.ruleId, object: f.object, message: f.message })),
      },
    };
  } catch (error) {
    if (!isSlipwayError(error)) throw error;
    return { objects: [], policy: { error: error.message } };
  }
}

/** The unified diff from `before` (what the channel runs, rendered) to `after`, object by object. */
export function manifestDiff(before: readonly KubeObject[], after: readonly KubeObject[]): string {
  const old = new Map(before.map((o) => [objectRef(o), o]));
  const now = new Map(after.map((o) => [objectRef(o), o]));
  const refs = [...new Set([...old.keys(), ...now.keys()])].sort();
  return refs
    .map((ref) => {
      const pair = redactPair(old.get(ref), now.get(ref));
      return unifiedDiff(
        pair.before === undefined ? "" : manifestYaml(pair.before),
        pair.after === undefined ? "" : manifestYaml(pair.after),
        {
          oldLabel: pair.before === undefined ? "/dev/null" : `a/${ref}`,
          newLabel: pair.after === undefined ? "/dev/null" : `b/${ref}`,
        },
      );
    })
    .join("");
}
