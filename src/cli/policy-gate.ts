/**
 * Policy on every render the CLI makes (render, deploy, diff): the target's policy from the
 * platform file and slipway.yaml, custom rules from the platform's directory, and then either a
 * block (enforce mode, exit 1 with the findings) or a one-line summary on stderr (warn mode).
 */
import { policyBlocked, policyGate } from "../policy/gate.ts";
import type { Verdict } from "../policy/verdict.ts";
import type { RenderResult } from "../render/render.ts";
import { readCustomRules } from "../source/platform-files.ts";
import type { LoadedApp, LoadedPlatform } from "../spec/parse.ts";
import type { CliIo } from "./io.ts";

export function gateRender(
  result: RenderResult,
  app: LoadedApp,
  platform: LoadedPlatform,
  io: CliIo,
  today = isoToday(),
): Verdict {
  const verdict = policyGate({
    objects: result.objects,
    platform: platform.platform,
    app: result.spec,
    target: { kind: result.target.kind, name: result.target.name },
    customRules: readCustomRules(platform),
    today,
  });
  if (!verdict.passed) throw policyBlocked(verdict, result.target.name);
  printVerdictSummary(
    verdict,
    { specFile: app.source.file, name: result.target.name, arg: targetArg(result) },
    io,
  );
  return verdict;
}

/** Warn-mode findings, expired and refused waivers: one line on stderr pointing at `slipway check`. */
export function printVerdictSummary(
  verdict: Verdict,
  target: { readonly specFile: string; readonly name: string; readonly arg: string },
  io: CliIo,
): void {
  const { error, warning } = verdict.counts;
  if (error + warning > 0 || verdict.expiredWaivers.length > 0 || verdict.refusedWaivers.length > 0) {
    const expired = verdict.expiredWaivers.length
      ? `, ${verdict.expiredWaivers.length} expired waiver(s)`
      : "";
    const refused = verdict.refusedWaivers.length
      ? `, ${verdict.refusedWaivers.length} refused waiver(s)`
      : "";
    io.err(
      `policy (${verdict.mode} on ${target.name}): ${error} error(s), ${warning} warning(s)${expired}${refused}; ` +
        `details: slipway check --app ${target.specFile.replace(/\/?slipway\.yaml$/, "") || "."} --target ${target.arg}\n`,
    );
  }
}

function targetArg(result: RenderResult): string {
  return result.target.kind === "preview" ? `preview:${result.target.branch ?? ""}` : result.target.name;
}

function isoToday(): string {
  return new Date().toISOString().slice(0, 10);
}
