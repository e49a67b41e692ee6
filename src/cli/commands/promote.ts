/**
 * `slipway promote <app> --to <channel>`: deploy the release available in the channel before, as it
 * is, once the channel's gates pass. `--dry-run` shows what it would do; `--approve` and
 * `--reject <reason>` answer for that release and channel instead.
 */
import type { Command } from "commander";
import type { PromotionResult } from "../../api/promotion.ts";
import { clientFor } from "../client/list-options.ts";
import type { CliIo } from "../io.ts";
import { json, OUTPUT_FORMATS, parseOutput } from "../options.ts";
import { printable, shortTime } from "../table.ts";

interface PromoteFlags {
  to: string;
  release?: string;
  dryRun?: boolean;
  approve?: boolean;
  reject?: string;
  output?: string;
}

export function registerPromote(program: Command, io: CliIo): void {
  program
    .command("promote")
    .description("Promote the release available in the channel before --to into it, once its gates pass.")
    .argument("<app>", "the app")
    .requiredOption("--to <channel>", "the channel to promote into")
    .option("--release <id>", "insist on this release (it must be the one available in the channel before)")
    .option("--dry-run", "show the digest, commits, manifest diff, policy and gates; change nothing")
    .option("--approve", "approve the release for --to instead of promoting it")
    .option("--reject <reason>", "reject the release for --to, with the reason, instead of promoting it")
    .option("-o, --output <format>", "text or json", "text")
    .action(async (app: string, flags: PromoteFlags) => {
      const format = parseOutput(flags.output, OUTPUT_FORMATS, "text");
      const client = await clientFor(io);
      if (flags.approve === true || flags.reject !== undefined) {
        // The release answered for: the one named, or the one a promotion would deploy now.
        const release =
          flags.release ?? (await client.promote(app, { to: flags.to, dryRun: true })).release.id;
        const answer =
          flags.reject !== undefined
            ? await client.reject(release, { target: flags.to, reason: flags.reject })
            : await client.approve(release, flags.to);
        if (format === "json") return io.out(json(answer));
        return io.out(
          `${answer.decision === "rejected" ? "rejected" : "approved"} release ${printable(release)} for ${printable(flags.to)}\n`,
        );
      }
      const result = await client.promote(app, {
        to: flags.to,
        ...(flags.release === undefined ? {} : { release: flags.release }),
        dryRun: flags.dryRun === true,
      });
      if (format === "json") return io.out(json(result));
      if (flags.dryRun !== true) return io.out(promotedText(result));
      // The gate lines are the status command's; loaded only when shown.
      const { gateLines } = await import("./status.ts");
      io.out(dryRunText(result, gateLines));
    });
}

function promotedText(r: PromotionResult): string {
  const d = r.deployment!;
  return [
    `promoting ${r.app} release ${r.release.id} (${r.digest}, commit ${r.release.commitSha.slice(0, 12)}) from ${r.from} to ${r.to}`,
    `deployment ${d.id} (#${d.sequence}) queued; follow it with: slipway deployments watch ${d.id}`,
    "",
  ]
    .map(printable)
    .join("\n");
}

function dryRunText(
  r: PromotionResult,
  gateLines: (gates: PromotionResult["gates"]["gates"]) => string[],
): string {
  const preview = r.preview!;
  const lines = [
    `dry run: promote ${r.app} from ${r.from} to ${r.to} (nothing changed)`,
    `  release  ${r.release.id}`,
    `  digest   ${r.digest}`,
    `  replaces ${r.current === null ? "nothing (first deployment there)" : `${r.current.id} (${r.current.imageDigest})`}`,
    "",
    `commits (${preview.commits.length + preview.commitsNotShown}), newest first:`,
    ...preview.commits.map((c) =>
      [
        `  ${c.commitSha.slice(0, 12)}`,
        c.commitTime === null ? "" : shortTime(c.commitTime),
        c.commitAuthor ?? "",
        (c.commitMessage ?? "").split("\n")[0],
      ]
        .filter((part) => part !== "")
        .join("  "),
    ),
    ...(preview.commitsNotShown > 0
      ? [`  … and ${preview.commitsNotShown} older commits not recorded (a release records at most 1,000)`]
      : []),
    "",
    `policy: ${policyLine(preview.policy)}`,
    `gates: ${r.gates.state}`,
    ...gateLines(r.gates.gates),
  ].map(printable);
  const diff = preview.diff === "" ? "no change to the rendered manifests\n" : preview.diff;
  // The diff is shown as it is (it holds no secret values: they are redacted on the server).
  return `${lines.join("\n")}\n\n${diff.split("\n").map(printable).join("\n")}`;
}

function policyLine(policy: NonNullable<PromotionResult["preview"]>["policy"]): string {
  if (policy === null) return "not checked (the channel's policy gate is off)";
  if ("error" in policy) return `could not be checked: ${policy.error}`;
  if (policy.blocking.length === 0) return "clean in enforce mode";
  return `${policy.blocking.length} blocking: ${policy.blocking.map((f) => `${f.object} [${f.ruleId}]`).join(", ")}`;
}
