/** `slipway render`: the objects an app becomes on a target, as YAML on stdout or one file per object. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { CliIo } from "../io.ts";

export function registerRender(program: Command, io: CliIo): void {
  program
    .command("render")
    .description("Render an app for a channel or a branch preview into Kubernetes objects.")
    .requiredOption("--app <dir>", "app directory (holding slipway.yaml) or the spec file")
    .requiredOption("--target <target>", "a channel name, or preview:<branch>")
    .option(
      "--platform <file>",
      "the operator's platform file (default: $SLIPWAY_PLATFORM, else built-in defaults; never read from the app's directory)",
    )
    .option("--image <ref>", "image as repository@sha256:<digest> (default: the spec's image.tag)")
    .option("--release <id>", "release id recorded in the slipway.dev/release label")
    .option("-o, --out <dir|->", "write one file per object into <dir>, or YAML to stdout with -", "-")
    .action(
      async (opts: {
        app: string;
        target: string;
        platform?: string;
        image?: string;
        release?: string;
        out: string;
      }) => {
        // Loaded when the command runs: `--help` and the other commands do not pay for the renderer.
        const [
          { render },
          { fileNameFor, objectsToYaml, objectToYaml },
          { displayPath, loadAppAndPlatform },
          { gateRender },
        ] = await Promise.all([
          import("../../render/render.ts"),
          import("../../render/yaml-output.ts"),
          import("../../spec/files.ts"),
          import("../policy-gate.ts"),
        ]);
        const { app, platform } = loadAppAndPlatform(opts.app, opts.platform);
        const result = render({
          app,
          platform,
          target: opts.target,
          ...(opts.image ? { image: opts.image } : {}),
          ...(opts.release ? { release: opts.release } : {}),
        });
        gateRender(result, app, platform, io);
        if (opts.out === "-") {
          io.out(objectsToYaml(result.objects));
          return;
        }
        mkdirSync(opts.out, { recursive: true });
        for (const object of result.objects)
          writeFileSync(join(opts.out, fileNameFor(object)), objectToYaml(object));
        io.err(`wrote ${result.objects.length} objects to ${displayPath(opts.out)}\n`);
      },
    );
}
