/**
 * What `slipway validate` checks beyond the files themselves: that every secret file slipway.yaml
 * names is there, and that the policy of every channel (and of previews) lets the app through — so
 * that `validate` never says ok for an app that `render --target stable` then blocks.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isSlipwayError, type Problem } from "../core/errors.ts";
import { policyGate } from "../policy/gate.ts";
import { render } from "../render/render.ts";
import { readCustomRules } from "../source/platform-files.ts";
import { isPlainMap } from "../spec/merge.ts";
import type { LoadedApp, LoadedPlatform } from "../spec/parse.ts";

/** `secrets[].file` entries, in the app and in each environment's override, whose file is missing. */
export function missingSecretFiles(app: LoadedApp, specPath: string): Problem[] {
  const dir = dirname(specPath);
  const raw = app.source.value;
  if (!isPlainMap(raw)) return [];
  const lists: (string | number)[][] = [["secrets"]];
  if (isPlainMap(raw.environments))
    for (const name of Object.keys(raw.environments)) lists.push(["environments", name, "secrets"]);
  const problems: Problem[] = [];
  for (const at of lists) {
    const list = valueAt(raw, at);
    if (!Array.isArray(list)) continue;
    list.forEach((entry, i) => {
      if (!isPlainMap(entry) || typeof entry.file !== "string" || entry.file === "") return;
      if (existsSync(resolve(dir, entry.file))) return;
      const path = [...at, i, "file"];
      problems.push({
        file: app.source.file,
        ...app.source.positionOf(path),
        path: `${at.join(".")}[${i}].file`,
        message: `secret file ${entry.file} does not exist (next to slipway.yaml)`,
        hint: `create it with \`slipway secrets edit --app ${dir} ${entry.file}\`, or fix the path`,
      });
    });
  }
  return problems;
}

export interface ChannelPolicy {
  readonly target: string;
  readonly mode: string;
  readonly passed: boolean;
  readonly blocking: number;
  readonly warnings: number;
}

/**
 * The policy verdict of every channel and of previews, as render and deploy would reach it. A
 * target that does not render is skipped: its render problems are reported on their own.
 */
export function policyOfEveryTarget(
  app: LoadedApp,
  platform: LoadedPlatform,
  today: string,
): { readonly verdicts: ChannelPolicy[]; readonly problems: Problem[] } {
  const image = app.spec.image.tag ? undefined : `${app.spec.image.repository}@sha256:${"0".repeat(64)}`;
  const targets = [
    ...platform.platform.channels.map((c) => c.name),
    ...(platform.platform.previews ? ["preview:validate"] : []),
  ];
  const customRules = readCustomRules(platform);
  const verdicts: ChannelPolicy[] = [];
  const problems: Problem[] = [];
  for (const target of targets) {
    let result: ReturnType<typeof render>;
    try {
      result = render({ app, platform, target, ...(image ? { image } : {}) });
    } catch (error) {
      if (!isSlipwayError(error)) throw error;
      continue;
    }
    const name = result.target.kind === "preview" ? "previews" : result.target.name;
    const verdict = policyGate({
      objects: result.objects,
      platform: platform.platform,
      app: result.spec,
      target: { kind: result.target.kind, name: result.target.name },
      customRules,
      today,
    });
    verdicts.push({
      target: name,
      mode: verdict.mode,
      passed: verdict.passed,
      blocking: verdict.blocking.length,
      warnings: verdict.counts.error + verdict.counts.warning - verdict.blocking.length,
    });
    for (const finding of verdict.blocking) {
      problems.push({
        file: app.source.file,
        line: 1,
        column: 1,
        path: "",
        message: `policy blocks ${name} (${verdict.mode}): ${finding.object} ${finding.path}: ${finding.message} [${finding.ruleId}]`,
        hint: "fix it, or waive the rule under policy.waivers with a reason and an expiry date where the platform allows it",
      });
    }
  }
  return { verdicts, problems };
}

/** One line: `develop ok (warn, 2 findings), stable ok (enforce)`; `slipway check` gives details. */
export function policySummary(verdicts: readonly ChannelPolicy[]): string {
  return verdicts
    .map((v) => {
      const findings = v.warnings > 0 ? `, ${v.warnings} finding${v.warnings === 1 ? "" : "s"}` : "";
      return v.passed ? `${v.target} ok (${v.mode}${findings})` : `${v.target} blocked (${v.blocking})`;
    })
    .join(", ");
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let current = root;
  for (const segment of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}
