/**
 * `slipway deploy`: render an app for a target and apply it where the platform says the target
 * lives, a cluster or a GitOps repository, with a live progress display. `--dry-run` prints what
 * would change instead. On a cluster, `--wait --rollback-on-failure` puts the previous revision
 * back when the rollout fails; the deploy still fails (exit 1), saying why and what was restored.
 */
import type { Command } from "commander";
import { ErrorCode, isSlipwayError, SlipwayError } from "../../core/errors.ts";
import type { ApplyResult, DeployProgress } from "../../delivery/deploy-target.ts";
import type { CliIo } from "../io.ts";
import { json, OUTPUT_FORMATS, parseOutput } from "../options.ts";

/** The flags, checked. zod and the schema are built here, when deploy runs, not for `--help`. */
async function deployOptions(raw: unknown) {
  const { z } = await import("zod");
  const parsed = z
    .object({
      app: z.string().min(1),
      target: z.string().min(1),
      image: z
        .string()
        .regex(/@sha256:[a-f0-9]{64}$/, "must be pinned by digest: <repository>@sha256:<64 hex digits>"),
      platform: z.string().min(1).optional(),
      commit: z.string().min(1).optional(),
      dryRun: z.boolean().optional(),
      wait: z.boolean().optional(),
      rollbackOnFailure: z.boolean().optional(),
      forceConflicts: z.boolean().optional(),
      prune: z.boolean().optional(),
      applyTimeout: z.string().optional(),
      rolloutTimeout: z.string().optional(),
      output: z.string().optional(),
    })
    .safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SlipwayError(
      ErrorCode.Input,
      `--${String(issue?.path[0] ?? "option")} ${issue?.message ?? "is invalid"}`,
    );
  }
  return parsed.data;
}

export function registerDeploy(program: Command, io: CliIo): void {
  program
    .command("deploy")
    .description("Render an app for a target and apply it to the target's cluster or GitOps repository.")
    .requiredOption("--app <dir>", "app directory (holding slipway.yaml) or the spec file")
    .requiredOption("--target <target>", "a channel name, or preview:<branch>")
    .requiredOption("--image <ref>", "the image to deploy, pinned: <repository>@sha256:<digest>")
    .option(
      "--platform <file>",
      "the operator's platform file (default: $SLIPWAY_PLATFORM, else built-in defaults; never read from the app's directory)",
    )
    .option("--commit <sha>", "the app's source commit (default: HEAD of the app's git repository)")
    .option("--dry-run", "show what would change and write nothing")
    .option("--wait", "wait until the workloads are available (clusters)")
    .option(
      "--rollback-on-failure",
      "with --wait, on a cluster: when the rollout fails, put back the revision Slipway applied before (and remove what this deploy added); the deploy still fails",
    )
    .option(
      "--force-conflicts",
      "on a cluster: take over objects Slipway has not applied before, and the fields another tool (field manager) owns on them; never another app's objects",
    )
    .option(
      "--prune",
      "delete the target's objects that are no longer rendered (GitOps directories always mirror the render)",
    )
    .option(
      "--apply-timeout <duration>",
      "deadline of the apply, retries included, e.g. 90s or 5m (default: the platform file's deploy.applyTimeout, else 3m)",
    )
    .option(
      "--rollout-timeout <duration>",
      "with --wait: deadline of the rollout (default: the platform file's deploy.rolloutTimeout, else 10m)",
    )
    .option("--output <format>", "text or json", "text")
    .addHelpText(
      "after",
      [
        "",
        "A rollout that fails (its progress deadline passes, or its new pods keep failing) fails the deploy",
        "with exit code 1, naming the pods and their conditions. With --rollback-on-failure the previous",
        "revision is restored first and the error says so; a first deploy has none and is left as it is.",
        "A GitOps target cannot roll back by itself: revert the deploy's commit there (git revert).",
        "",
        "While the API server fails, requests are retried and the progress says what it answered and when",
        "the next try is (with --output json: one JSON line per wait on stderr). Past --apply-timeout the deploy",
        "fails (exit 1) listing what was written and what was not; deploying again converges.",
        "",
      ].join("\n"),
    )
    .action(async (raw: unknown) => {
      const opts = await deployOptions(raw);
      // Loaded when the command runs: `--help` does not pay for the renderer and the targets.
      const [
        { prepareDeploy },
        { planJson, printPlan },
        { progressDisplay, summary },
        { sourceCommit },
        { DEFAULT_DEPLOY_TIMEOUTS },
        { durationSeconds },
        { parseDuration },
      ] = await Promise.all([
        import("../deploy/prepare.ts"),
        import("../deploy/print-plan.ts"),
        import("../deploy/progress.ts"),
        import("../deploy/source-commit.ts"),
        import("../../delivery/deploy-target.ts"),
        import("../../spec/common-schema.ts"),
        import("./serve.ts"),
      ]);
      const format = parseOutput(opts.output, OUTPUT_FORMATS, "text");
      // Checked before anything is rendered or sent.
      const flagged = {
        applyMs:
          opts.applyTimeout === undefined ? undefined : parseDuration("--apply-timeout", opts.applyTimeout),
        rolloutMs:
          opts.rolloutTimeout === undefined
            ? undefined
            : parseDuration("--rollout-timeout", opts.rolloutTimeout),
      };
      const rollbackOnFailure = opts.rollbackOnFailure === true;
      if (rollbackOnFailure && opts.wait !== true) {
        throw new SlipwayError(
          ErrorCode.Input,
          "--rollback-on-failure needs --wait: a failed rollout is only seen by waiting for it",
        );
      }
      const deploy = await prepareDeploy({ ...opts, cwd: io.cwd, env: io.env, io });
      const { prepared } = deploy;
      const fromPlatform = (text: string | undefined) =>
        text === undefined ? undefined : durationSeconds(text) * 1000;
      const timeouts = {
        applyMs:
          flagged.applyMs ?? fromPlatform(deploy.deadlines.applyTimeout) ?? DEFAULT_DEPLOY_TIMEOUTS.applyMs,
        rolloutMs:
          flagged.rolloutMs ??
          fromPlatform(deploy.deadlines.rolloutTimeout) ??
          DEFAULT_DEPLOY_TIMEOUTS.rolloutMs,
      };
      const where = prepared.destination;
      if (rollbackOnFailure && prepared.target.undo === "git-revert") {
        throw new SlipwayError(
          ErrorCode.Input,
          `--rollback-on-failure works only on a cluster target; ${prepared.scope.target} deploys to the ${where}, ` +
            "whose GitOps controller applies each commit later, out of Slipway's sight. " +
            "Roll back there by reverting the deploy's commit (git revert) and pushing it; deploy without --rollback-on-failure.",
        );
      }

      if (opts.dryRun === true) {
        // Notes (e.g. waiting for another deploy's lock) go to stderr: stdout is the plan.
        const changes = await prepared.target.plan({
          scope: prepared.scope,
          objects: prepared.objects,
          prune: opts.prune === true,
          timeouts,
          onProgress: (e) => {
            if (e.type === "note") io.err(`note: ${e.text}\n`);
          },
        });
        if (format === "json") io.out(json({ dryRun: true, target: where, changes: planJson(changes) }));
        else printPlan(io, changes, where);
        return;
      }

      const commit = await sourceCommit(deploy.appDir, opts.commit);
      const title = `${prepared.scope.app} → ${prepared.scope.target} (${where})`;
      // JSON output is data for a program: no progress lines mixed into it.
      const display =
        format === "text" ? progressDisplay(io, { title, total: prepared.objects.length }) : undefined;
      let result: ApplyResult;
      // Waits for the target, as data: live on stderr with --output json, and in its document.
      const waits: Record<string, unknown>[] = [];
      const onProgress = (event: DeployProgress) => {
        display?.onProgress(event);
        if (event.type !== "waiting") return;
        const { type: _type, ...wait } = event;
        waits.push(wait);
        if (format === "json") io.err(`${JSON.stringify({ waiting: wait })}\n`);
      };
      // What was deployed where: the head of the JSON output, whether the deploy failed or not.
      const deployed = {
        app: prepared.scope.app,
        target: prepared.scope.target,
        destination: where,
        commit,
        image: prepared.image,
      };
      try {
        const outcome = await deploy.apply(
          {
            prune: opts.prune === true,
            wait: opts.wait === true,
            rollbackOnFailure,
            forceConflicts: opts.forceConflicts === true,
            timeouts,
          },
          commit,
          onProgress,
        );
        result = outcome.result;
      } catch (error) {
        display?.abort();
        // The outcome of a failed rollout is data too (was it rolled back, why did it fail); the
        // error itself still goes to stderr and sets the exit code.
        if (format === "json" && isSlipwayError(error) && error.code === ErrorCode.RolloutFailed) {
          io.out(json({ ...deployed, ...rolloutFailureJson(error), waits }));
        }
        if (format === "json" && isSlipwayError(error) && error.code === ErrorCode.Deadline) {
          io.out(
            json({
              ...deployed,
              failed: true,
              code: error.code,
              ...error.details,
              waits,
              error: error.message,
            }),
          );
        }
        throw error;
      }
      if (display !== undefined) display.finish(result);
      else
        io.out(
          json({
            ...deployed,
            wrote: result.wrote,
            revision: result.revision ?? null,
            summary: summary(result),
            changes: result.changes.map((c) => ({ ref: c.ref, action: c.action })),
            waits,
          }),
        );
    });
}

/** A failed rollout for `--output json`: what failed, why, and whether it was rolled back. */
function rolloutFailureJson(error: SlipwayError): Record<string, unknown> {
  const d = error.details;
  return {
    failed: true,
    code: error.code,
    ref: d.ref ?? null,
    reason: d.reason ?? null,
    message: d.message ?? null,
    pods: d.pods ?? [],
    rolledBack: d.rolledBack === true,
    rollback: d.rollback ?? null,
    ...(d.rollbackSkipped === undefined ? {} : { rollbackSkipped: d.rollbackSkipped }),
    ...(d.rollbackError === undefined ? {} : { rollbackError: d.rollbackError }),
    error: error.message,
  };
}
