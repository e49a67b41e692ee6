/**
 * `slipway diff`: what a deploy would change on the target's cluster or in its GitOps repository,
 * as one unified diff per object. Secret values are redacted on both sides; a changed value shows
 * as a changed marker. `--exit-code` exits 1 when something would change, for CI gates.
 */
import type { Command } from "commander";
import type { CliIo } from "../io.ts";
import { json, OUTPUT_FORMATS, parseOutput } from "../options.ts";

export function registerDiff(program: Command, io: CliIo): void {
  program
    .command("diff")
    .description("Show what deploying an app would change on its target, secret values redacted.")
    .requiredOption("--app <dir>", "app directory (holding slipway.yaml) or the spec file")
    .requiredOption("--target <target>", "a channel name, or preview:<branch>")
    .option("--image <ref>", "image as <repository>@sha256:<digest> (default: the spec's image.tag)")
    .option(
      "--platform <file>",
      "the operator's platform file (default: $SLIPWAY_PLATFORM, else built-in defaults; never read from the app's directory)",
    )
    .option("--prune", "include objects a deploy with --prune would delete")
    .option("--exit-code", "exit 1 when something would change")
    .option("--output <format>", "text or json", "text")
    .action(
      async (opts: {
        app: string;
        target: string;
        image?: string;
        platform?: string;
        prune?: boolean;
        exitCode?: boolean;
        output?: string;
      }) => {
        const format = parseOutput(opts.output, OUTPUT_FORMATS, "text");
        // Loaded when the command runs: `--help` does not pay for the renderer and the targets.
        const [{ countChanges }, { prepareDeploy }, { planJson, printPlan }] = await Promise.all([
          import("../../delivery/deploy-target.ts"),
          import("../deploy/prepare.ts"),
          import("../deploy/print-plan.ts"),
        ]);
        const { prepared } = await prepareDeploy({ ...opts, cwd: io.cwd, env: io.env, io });
        const changes = await prepared.target.plan({
          scope: prepared.scope,
          objects: prepared.objects,
          prune: opts.prune === true,
          // Notes (e.g. waiting for another deploy's lock) go to stderr: stdout is the diff.
          onProgress: (e) => {
            if (e.type === "note") io.err(`note: ${e.text}\n`);
          },
        });
        if (format === "json") io.out(json({ target: prepared.destination, changes: planJson(changes) }));
        else printPlan(io, changes, prepared.destination);
        const c = countChanges(changes);
        if (opts.exitCode === true && c.create + c.update + c.delete > 0) io.setExitCode(1);
      },
    );
}
