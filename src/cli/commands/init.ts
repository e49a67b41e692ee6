/** `slipway init`: writes a commented starter slipway.yaml, guessing port and start command. */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { Command } from "commander";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { sanitizeLabel } from "../../render/names.ts";
import { detectProject } from "../../spec/detect-project.ts";
import { APP_FILE, displayPath } from "../../spec/files.ts";
import { parseAppSpec } from "../../spec/parse.ts";
import { starterSpec } from "../../spec/starter.ts";
import type { CliIo } from "../io.ts";

export function registerInit(program: Command, io: CliIo): void {
  program
    .command("init")
    .description("Write a commented starter slipway.yaml for the project in <dir>.")
    .argument("[dir]", "project directory", ".")
    .option("--name <name>", "app name (default: from the project files or the directory name)")
    .option("--team <team>", "owning team", "my-team")
    .option("--force", "overwrite an existing slipway.yaml")
    .action((dir: string, opts: { name?: string; team: string; force?: boolean }) => {
      const root = resolve(io.cwd, dir);
      const target = join(root, APP_FILE);
      if (existsSync(target) && !opts.force) {
        throw new SlipwayError(
          ErrorCode.Input,
          `${displayPath(target)} already exists; pass --force to overwrite it`,
        );
      }
      const names = existsSync(root) ? readdirSync(root) : [];
      const project = detectProject({
        names,
        read: (name) => {
          const path = join(root, name);
          return existsSync(path) ? readFileSync(path, "utf8") : undefined;
        },
      });
      const name =
        sanitizeLabel(opts.name ?? project.name?.replace(/^@[^/]+\//, "") ?? basename(root))
          .slice(0, 40)
          .replace(/-+$/, "") || "app";
      const text = starterSpec({ name, team: sanitizeLabel(opts.team) || "my-team", project });
      parseAppSpec(text, target); // the starter must always be valid
      writeFileSync(target, text);
      io.out(`wrote ${displayPath(target)} (${project.kind}: port ${project.port}, ${project.evidence})\n`);
    });
}
