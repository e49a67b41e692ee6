/** `slipway release create`: the server reads the commit and keeps what it read as the release. */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { clientFor } from "../client/list-options.ts";
import type { CliIo } from "../io.ts";
import { json, OUTPUT_FORMATS, parseOutput } from "../options.ts";
import { printable } from "../table.ts";

interface CreateFlags {
  repo: string;
  path: string;
  commit: string;
  image: string;
  app?: string;
  output?: string;
}

export function registerRelease(program: Command, io: CliIo): void {
  const release = program
    .command("release")
    .description("Create a release from a commit of the app's repository and an image digest.");
  release
    .command("create")
    .description(
      "Create a release: the server fetches the commit, reads and checks slipway.yaml and the app's encrypted secret files there, and keeps them with the image digest. The same commit and image again is the same release.",
    )
    .requiredOption(
      "--repo <url>",
      "the app's git repository: an https:// or ssh:// URL (a local path only where the server allows it)",
    )
    .option(
      "--path <dir>",
      "the app's directory in the repository, holding slipway.yaml (default: its root)",
      "",
    )
    .requiredOption("--commit <sha>", "the full commit id (git rev-parse HEAD)")
    .requiredOption("--image <ref>", "the built image by digest: <repository>@sha256:<digest>")
    .option(
      "--app <name>",
      "the app (default: the name in <path>/slipway.yaml of the checkout in the working directory)",
    )
    .option("-o, --output <format>", "text or json", "text")
    .action(async (flags: CreateFlags) => {
      const format = parseOutput(flags.output, OUTPUT_FORMATS, "text");
      const app = flags.app ?? (await appOfCheckout(io, flags.path));
      const { release: made, created } = await (await clientFor(io)).createRelease(app, {
        repository: repositoryArgument(io, flags.repo),
        path: flags.path,
        commit: flags.commit,
        image: flags.image,
      });
      if (format === "json") return io.out(json({ release: made, created }));
      const what = created ? "created release" : "release exists (same commit and image):";
      io.out(
        `${what} ${made.id} of ${made.appName} at ${made.commitSha.slice(0, 12)} with ${made.imageDigest.slice(0, 19)}…\n`,
      );
      if (made.commitMessage) io.out(`  ${printable(made.commitMessage.split("\n")[0] ?? "")}\n`);
    });
}

/** A local repository goes to the server as an absolute path; URLs go as they are. */
function repositoryArgument(io: CliIo, repo: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^/]+:/.test(repo)) return repo;
  return resolve(io.cwd, repo);
}

/** The `name:` of the checkout's slipway.yaml, for CI jobs that run in the app's checkout. */
async function appOfCheckout(io: CliIo, dir: string): Promise<string> {
  const file = join(io.cwd, dir, "slipway.yaml");
  if (!existsSync(file)) {
    throw new SlipwayError(
      ErrorCode.Input,
      `which app? there is no ${file} to read its name from: pass --app <name>`,
    );
  }
  const { parseYamlSource } = await import("../../spec/yaml-source.ts");
  const { value } = parseYamlSource(readFileSync(file, "utf8"), file);
  const name = (value as { name?: unknown } | null)?.name;
  if (typeof name !== "string") {
    throw new SlipwayError(ErrorCode.Input, `${file} names no app (no name:): pass --app <name>`);
  }
  return name;
}
