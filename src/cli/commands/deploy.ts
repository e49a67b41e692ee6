/**
 * `slipway deploy`: render an app for a target and apply it where the platform says the target
 * lives, a cluster or a GitOps repository, with a live progress display. `--dry-run` prints what
 * would change instead.
 */
import type { Command } from "commander";
import { z } from "zod";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import type { ApplyResult } from "../../delivery/deploy-target.ts";
import { prepareDeploy } from "../deploy/prepare.ts";
import { planJson, printPlan } from "../deploy/print-plan.ts";
import { progressDisplay, summary } from "../deploy/progress.ts";
import { sourceCommit } from "../deploy/source-commit.ts";
import type { CliIo } from "../io.ts";
import { json, OUTPUT_FORMATS, parseOutput } from "../options.ts";

const optionsSchema = z.object({
  app: z.string().min(1),
  target: z.string().min(1),
  image: z
    .string()
    .regex(/@sha256:[a-f0-9]{64}$/, "must be pinned by digest: <repository>@sha256:<64 hex digits>"),
  platform: z.string().min(1).optional(),
  commit: z.string().min(1).optional(),
  dryRun: z.boolean().optional(),
  wait: z.boolean().optional(),
  prune: z.boolean().optional(),
  output: z.string().optional(),
});

export function registerDeploy(program: Command, io: CliIo): void {
  program
    .command("deploy")
    .description("Render an app for a target and apply it to the target's cluster or GitOps repository.")
    .requiredOption("--app <dir>", "app directory (holding slipway.yaml) or the spec file")
    .requiredOption("--target <target>", "a channel name, or preview:<branch>")
    .requiredOption("--image <ref>", "the image to deploy, pinned: <repository>@sha256:<digest>")
    .option(
      "--platform <file>",
      "platform file (default: nearest slipway.platform.yaml, else built-in defaults)",
    )
    .option("--commit <sha>", "the app's source commit (default: HEAD of the app's git repository)")
    .option("--dry-run", "show what would change and write nothing")
    .option("--wait", "wait until the workloads are available (clusters)")
    .option(
      "--prune",
      "delete the target's objects that are no longer rendered (GitOps directories always mirror the render)",
    )
    .option("--output <format>", "text or json", "text")
    .action(async (raw: unknown) => {
      const parsed = optionsSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new SlipwayError(
          ErrorCode.Input,
          `--${String(issue?.path[0] ?? "option")} ${issue?.message ?? "is invalid"}`,
        );
      }
      const opts = parsed.data;
      const format = parseOutput(opts.output, OUTPUT_FORMATS, "text");
      const prepared = await prepareDeploy({ ...opts, cwd: io.cwd, env: io.env, io });
      const where = prepared.target.describe();
      const request = { scope: prepared.scope, objects: prepared.objects, prune: opts.prune === true };

      if (opts.dryRun === true) {
        const changes = await prepared.target.plan(request);
        if (format === "json") io.out(json({ dryRun: true, target: where, changes: planJson(changes) }));
        else printPlan(io, changes, where);
        return;
      }

      const commit = await sourceCommit(prepared.appDir, opts.commit);
      const title = `${prepared.scope.app} → ${prepared.scope.target} (${where})`;
      // JSON output is data for a program: no progress lines mixed into it.
      const display =
        format === "text" ? progressDisplay(io, { title, total: prepared.objects.length }) : undefined;
      let result: ApplyResult;
      try {
        result = await prepared.target.apply({
          ...request,
          release: { commit, image: prepared.image },
          wait: opts.wait === true,
          ...(display === undefined ? {} : { onProgress: display.onProgress }),
        });
      } catch (error) {
        display?.abort();
        throw error;
      }
      if (display !== undefined) display.finish(result);
      else
        io.out(
          json({
            app: prepared.scope.app,
            target: prepared.scope.target,
            destination: where,
            commit,
            image: prepared.image,
            wrote: result.wrote,
            revision: result.revision ?? null,
            summary: summary(result),
            changes: result.changes.map((c) => ({ ref: c.ref, action: c.action })),
          }),
        );
    });
}
