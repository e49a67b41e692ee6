/**
 * `slipway validate`: checks slipway.yaml and the platform file, and renders every environment
 * so that a problem only one channel meets is found now, not at deploy time.
 */

import type { Command } from "commander";
import { isSlipwayError, type Problem } from "../../core/errors.ts";
import type { loadApp } from "../../spec/files.ts";
import type { LoadedPlatform } from "../../spec/parse.ts";
import type { CliIo } from "../io.ts";
import { json, OUTPUT_FORMATS, parseOutput } from "../options.ts";

export function registerValidate(program: Command, io: CliIo): void {
  program
    .command("validate")
    .description("Check an app's slipway.yaml and the platform file; report every problem at once.")
    .option("--app <dir>", "app directory or spec file (omit to check only the platform file)")
    .option(
      "--platform <file>",
      "the operator's platform file (default: $SLIPWAY_PLATFORM, else built-in defaults; never read from the app's directory)",
    )
    .option("--output <format>", "text or json", "text")
    .action(async (opts: { app?: string; platform?: string; output?: string }) => {
      // Loaded when the command runs: `--help` and the other commands do not pay for the schemas.
      const { displayPath, loadApp, loadPlatformFile } = await import("../../spec/files.ts");
      const format = parseOutput(opts.output, OUTPUT_FORMATS, "text");
      const checked: string[] = [];
      let problems: readonly Problem[] = [];
      let message = "";
      try {
        const platform = loadPlatformFile(opts.platform, io.env);
        checked.push(platform.source?.file ?? "(built-in default platform)");
        if (opts.app) {
          const app = loadApp(opts.app, platform);
          checked.push(app.source.file);
          await renderEveryTarget(app, platform);
        }
      } catch (error) {
        if (!isSlipwayError(error)) throw error;
        if (format === "text") throw error;
        problems = error.problems;
        message = error.message;
        io.setExitCode(2);
      }
      if (format === "json") {
        io.out(json({ valid: message === "", checked, ...(message ? { error: message } : {}), problems }));
      } else {
        io.out(`ok: ${checked.map((f) => displayPath(f)).join(", ")}\n`);
      }
    });
}

async function renderEveryTarget(app: ReturnType<typeof loadApp>, platform: LoadedPlatform): Promise<void> {
  const { render } = await import("../../render/render.ts");
  const image = app.spec.image.tag ? undefined : `${app.spec.image.repository}@sha256:${"0".repeat(64)}`;
  const targets = [
    ...platform.platform.channels.map((c) => c.name),
    ...(platform.platform.previews ? ["preview:validate"] : []),
  ];
  for (const target of targets) render({ app, platform, target, ...(image ? { image } : {}) });
}
