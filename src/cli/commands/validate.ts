/**
 * `slipway validate`: checks slipway.yaml and the platform file, renders every environment so that
 * a problem only one channel meets is found now, not at deploy time, checks that the secret files
 * are there, and runs the policy of every channel and of previews, saying per channel what blocks.
 * Every problem is reported in one run, and any of them exits 2.
 */

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { ErrorCode, exitCodeFor, isSlipwayError, type Problem, SlipwayError } from "../../core/errors.ts";
import type { LoadedApp, LoadedPlatform } from "../../spec/parse.ts";
import type { CliIo } from "../io.ts";
import { json, OUTPUT_FORMATS, parseOutput } from "../options.ts";
import type { ChannelPolicy } from "../validate-checks.ts";

export function registerValidate(program: Command, io: CliIo): void {
  program
    .command("validate")
    .description("Check an app's slipway.yaml and the platform file; report every problem at once.")
    .option("--app <dir>", "app directory or spec file (omit to check only the platform file)")
    .option(
      "--platform <file>",
      "the operator's platform file (default: $SLIPWAY_PLATFORM, else built-in defaults; never read from the app's directory; without --app, ./slipway.platform.yaml is the file checked)",
    )
    .option("--output <format>", "text or json", "text")
    .action(async (opts: { app?: string; platform?: string; output?: string }) => {
      // Loaded when the command runs: `--help` and the other commands do not pay for the schemas.
      const [
        { appFilePath, displayPath, loadPlatformFile, PLATFORM_FILE, readUserFile },
        { targetProblems },
        { checkAppSpec, dedupe },
        { missingSecretFiles, policyOfEveryTarget, policySummary },
      ] = await Promise.all([
        import("../../spec/files.ts"),
        import("../../render/check-targets.ts"),
        import("../../spec/parse.ts"),
        import("../validate-checks.ts"),
      ]);
      const format = parseOutput(opts.output, OUTPUT_FORMATS, "text");
      const checked: string[] = [];
      const problems: Problem[] = [];
      const collect = (error: unknown, file: string) => {
        if (!isSlipwayError(error)) throw error;
        problems.push(
          ...(error.problems.length > 0
            ? error.problems
            : [{ file: displayPath(file, io.cwd), line: 1, column: 1, path: "", message: error.message }]),
        );
      };
      // Without --app the command checks a platform file: the one named, else the one here.
      const here = resolve(io.cwd, PLATFORM_FILE);
      const named =
        opts.platform ?? (opts.app || io.env.SLIPWAY_PLATFORM || !existsSync(here) ? undefined : here);
      let platform: LoadedPlatform | undefined;
      try {
        platform = loadPlatformFile(named === undefined ? undefined : resolve(io.cwd, named), io.env);
        checked.push(platform.source?.file ?? "(built-in default platform)");
      } catch (error) {
        collect(error, named ?? io.env.SLIPWAY_PLATFORM ?? PLATFORM_FILE);
      }
      let app: LoadedApp | undefined;
      let appFile: string | undefined;
      let appValid = false;
      if (opts.app) {
        try {
          // With a broken platform file the app is still checked on its own; with a broken app, the
          // renderer still sees the fields that are fine.
          const file = appFilePath(resolve(io.cwd, opts.app));
          const result = checkAppSpec(readUserFile(file, "app spec"), displayPath(file), platform);
          checked.push(displayPath(file));
          problems.push(...result.problems);
          app = result.app;
          appFile = file;
          appValid = result.problems.length === 0;
        } catch (error) {
          collect(error, resolve(io.cwd, opts.app));
        }
      }
      if (app && platform) problems.push(...targetProblems(app, platform));
      if (app && appFile) problems.push(...missingSecretFiles(app, appFile));
      // Policy is judged on the app as written; on one without its broken fields it would mislead.
      let policy: ChannelPolicy[] = [];
      const blocked: Problem[] = [];
      if (app && platform && appValid) {
        const verdicts = policyOfEveryTarget(app, platform, new Date().toISOString().slice(0, 10));
        policy = verdicts.verdicts;
        blocked.push(...verdicts.problems);
      }
      const found = dedupe([...problems, ...blocked]).sort(
        (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column,
      );
      if (found.length > 0) {
        const noun = found.length === 1 ? "problem" : "problems";
        // Problems in the files are input errors (exit 2), whatever the stage that found them; when
        // the files are sound and only policy blocks a channel, it is a finding (exit 1), as in render.
        const code = problems.length > 0 ? ErrorCode.SpecInvalid : ErrorCode.PolicyBlocked;
        const error = new SlipwayError(code, `validate: ${found.length} ${noun}`, { problems: found });
        if (format === "text") throw error;
        io.out(json({ valid: false, checked, error: error.message, problems: found, policy }));
        io.setExitCode(exitCodeFor(code));
        return;
      }
      if (format === "json") io.out(json({ valid: true, checked, problems: [], policy }));
      else {
        io.out(`ok: ${checked.map((f) => displayPath(f)).join(", ")}\n`);
        if (policy.length > 0) io.out(`policy: ${policySummary(policy)}\n`);
      }
    });
}
