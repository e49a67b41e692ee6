/**
 * `slipway init`: writes a commented starter slipway.yaml, guessing name, port and start command.
 * A directory that does not exist yet is created (`slipway init my-service` starts a new service);
 * the next steps it prints work as printed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import type { CliIo } from "../io.ts";

export function registerInit(program: Command, io: CliIo): void {
  program
    .command("init")
    .description("Write a commented starter slipway.yaml for the project in <dir>.")
    .argument("[dir]", "project directory (created when it does not exist)", ".")
    .option("--name <name>", "app name (default: from the project files or the directory name)")
    .option("--team <team>", "owning team", "my-team")
    .option("--force", "overwrite an existing slipway.yaml")
    .action(async (dir: string, opts: { name?: string; team: string; force?: boolean }) => {
      // Loaded when the command runs: `--help` does not pay for the schemas.
      const [{ sanitizeLabel }, { detectProject }, { APP_FILE, displayPath }, { parseAppSpec }, starter] =
        await Promise.all([
          import("../../render/names.ts"),
          import("../../spec/detect-project.ts"),
          import("../../spec/files.ts"),
          import("../../spec/parse.ts"),
          import("../../spec/starter.ts"),
        ]);
      const root = resolve(io.cwd, dir);
      const shown = (path: string) => displayPath(path, io.cwd);
      const created = ensureDirectory(root, shown(root));
      const target = join(root, APP_FILE);
      if (existsSync(target) && !opts.force) {
        throw new SlipwayError(
          ErrorCode.Input,
          `${shown(target)} already exists; pass --force to overwrite it`,
        );
      }
      const project = detectProject({
        names: readdirSync(root),
        read: (name) => readProjectFile(root, name),
      });
      const name =
        sanitizeLabel(opts.name ?? project.name?.replace(/^@[^/]+\//, "") ?? basename(root))
          .slice(0, 40)
          .replace(/-+$/, "") || "app";
      const team = sanitizeLabel(opts.team) || "my-team";
      const text = starter.starterSpec({ name, team, project });
      parseAppSpec(text, target); // the starter must always be valid
      try {
        writeFileSync(target, text);
      } catch (error) {
        throw new SlipwayError(ErrorCode.Input, `cannot write ${shown(target)}: ${reason(error)}`, {
          cause: error,
        });
      }
      const app = shellWord(relative(io.cwd, root) || ".");
      const image = `${starter.starterRepository(name, team)}@${starter.PLACEHOLDER_DIGEST}`;
      io.out(
        `${created ? `created ${shown(root)}/; ` : ""}wrote ${shown(target)} (${project.kind}: port ${project.port}, ${project.evidence})\n` +
          "next:\n" +
          `  slipway validate --app ${app}\n` +
          `  slipway render --app ${app} --target develop --image ${image}\n`,
      );
    });
}

/** Creates `root` when missing; refuses a path that is something else. True when it was created. */
function ensureDirectory(root: string, shown: string): boolean {
  const stat = statSync(root, { throwIfNoEntry: false });
  if (stat?.isDirectory()) return false;
  if (stat !== undefined) {
    throw new SlipwayError(ErrorCode.Input, `${shown} is not a directory; give the project's directory`);
  }
  try {
    mkdirSync(root, { recursive: true });
  } catch (error) {
    throw new SlipwayError(ErrorCode.Input, `cannot create ${shown}: ${reason(error)}`, { cause: error });
  }
  return true;
}

/** A project file's text, or undefined when there is no regular file by that name (a directory is none). */
function readProjectFile(root: string, name: string): string | undefined {
  const path = join(root, name);
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) return undefined;
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new SlipwayError(ErrorCode.Input, `cannot read ${path}: ${reason(error)}`, { cause: error });
  }
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EROFS") return "read-only file system";
  if (code === "ENOTDIR") return "a part of the path is a file, not a directory";
  return error instanceof Error ? error.message : String(error);
}

/** A path as one shell word, quoted only when it has to be. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
