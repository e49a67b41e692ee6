/** `slipway export helm`: the app as a plain Helm chart with one values file per channel. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Command } from "commander";
import type { CliIo } from "../io.ts";

export function registerExport(program: Command, io: CliIo): void {
  const exportCommand = program.command("export").description("Export an app in another tool's format.");
  exportCommand
    .command("helm")
    .description(
      "Write a Helm chart whose `helm template -f values-<channel>.yaml` equals `slipway render` for that channel.",
    )
    .requiredOption("--app <dir>", "app directory (holding slipway.yaml) or the spec file")
    .requiredOption("-o, --out <chart-dir>", "directory to write the chart into")
    .option(
      "--platform <file>",
      "the operator's platform file (default: $SLIPWAY_PLATFORM, else built-in defaults; never read from the app's directory)",
    )
    .option("--image <ref>", "image as repository@sha256:<digest> (default: the spec's image.tag)")
    .action(async (opts: { app: string; out: string; platform?: string; image?: string }) => {
      // Loaded when the command runs: `--help` does not pay for the renderer.
      const [{ helmChartFiles }, { displayPath, loadAppAndPlatform }] = await Promise.all([
        import("../../render/helm-chart.ts"),
        import("../../spec/files.ts"),
      ]);
      const { app, platform } = loadAppAndPlatform(opts.app, opts.platform);
      const files = helmChartFiles({ app, platform, ...(opts.image ? { image: opts.image } : {}) });
      for (const [name, text] of Object.entries(files)) {
        const path = join(opts.out, name);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, text);
      }
      io.err(
        `wrote Helm chart ${app.spec.name} (${Object.keys(files).length} files) to ${displayPath(opts.out)}\n`,
      );
    });
}
