/**
 * File handling for `slipway secrets`: reading a file, replacing it atomically (never a half-written
 * encrypted file), finding `.sops.yaml` the way sops does (from the working directory upwards), and
 * running `$EDITOR` on a private temporary copy that is always removed.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { ErrorCode, isSlipwayError, SlipwayError } from "../../core/errors.ts";
import {
  type CreationRule,
  creationRuleFor,
  parseSopsConfig,
  type SopsConfig,
  storeIndent,
} from "../../secrets/creation-rules.ts";
import type { CliIo } from "../io.ts";

export function readInput(io: CliIo, file: string): { path: string; bytes: Buffer } {
  const path = resolve(io.cwd, file);
  if (!existsSync(path)) throw new SlipwayError(ErrorCode.NotFound, `${file}: no such file`);
  return { path, bytes: readFileSync(path) };
}

/** Writes next to the target and renames over it, keeping the file's mode. */
export function replaceFile(path: string, text: string): void {
  const mode = existsSync(path) ? statSync(path).mode & 0o777 : 0o644;
  const temp = join(dirname(path), `.${basename(path)}.slipway-${process.pid}`);
  writeFileSync(temp, text, { mode });
  renameSync(temp, path);
}

export interface FoundConfig {
  readonly file: string;
  readonly config: SopsConfig;
}

export function findSopsConfig(io: CliIo, explicit?: string): FoundConfig | undefined {
  if (explicit) {
    const file = resolve(io.cwd, explicit);
    if (!existsSync(file)) throw new SlipwayError(ErrorCode.NotFound, `${explicit}: no such config file`);
    return { file, config: parseSopsConfig(readFileSync(file, "utf8"), file) };
  }
  let dir = resolve(io.cwd);
  for (let depth = 0; depth < 100; depth++) {
    for (const name of [".sops.yaml", ".sops.yml"]) {
      const file = join(dir, name);
      if (existsSync(file)) return { file, config: parseSopsConfig(readFileSync(file, "utf8"), file) };
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

export function ruleFor(found: FoundConfig, filePath: string): CreationRule & { indent?: number } {
  const rel = relative(dirname(found.file), filePath).split(sep).join("/");
  return creationRuleFor(found.config, rel, found.file);
}

export function configIndent(found: FoundConfig | undefined, format: string): number | undefined {
  return found ? storeIndent(found.config, format) : undefined;
}

/** A memory-backed directory when the system has one, so plaintext never reaches a disk. */
function privateTempRoot(): string {
  if (existsSync("/dev/shm")) {
    try {
      const probe = mkdtempSync("/dev/shm/slipway-probe-");
      rmSync(probe, { recursive: true });
      return "/dev/shm";
    } catch (error) {
      // Not writable for this user: fall back to the ordinary temporary directory.
      if (!(error instanceof Error)) throw error;
    }
  }
  return tmpdir();
}

/**
 * Writes `plaintext` to a 0600 file in a 0700 directory, runs the editor on it, and returns what
 * `accept` makes of the result. When `accept` throws a user error on an interactive terminal, the
 * editor opens again on the same text, as sops does; otherwise the error ends the command. The
 * directory is removed afterwards, also when the editor or anything else fails.
 */
export function editInTemp<T>(
  io: CliIo,
  plaintext: Uint8Array,
  fileName: string,
  accept: (edited: Buffer) => T,
): T {
  const dir = mkdtempSync(join(privateTempRoot(), "slipway-edit-"));
  try {
    chmodSync(dir, 0o700);
    const path = join(dir, basename(fileName));
    writeFileSync(path, plaintext, { mode: 0o600 });
    const editor = io.env.VISUAL || io.env.EDITOR || "vi";
    let rejected: Buffer | undefined;
    for (;;) {
      const result = spawnSync(`${editor} "${path}"`, {
        shell: true,
        stdio: "inherit",
        env: { ...process.env, ...io.env } as NodeJS.ProcessEnv,
      });
      if (result.error) {
        throw new SlipwayError(ErrorCode.Input, `could not start the editor (${editor})`, {
          cause: result.error,
        });
      }
      if (result.status !== 0) {
        throw new SlipwayError(
          ErrorCode.Input,
          `the editor (${editor}) exited with ${result.status}; the file was not changed`,
        );
      }
      const edited = readFileSync(path);
      try {
        return accept(edited);
      } catch (error) {
        const unchangedSinceLastTry = rejected?.equals(edited) ?? false;
        if (!io.isTty || unchangedSinceLastTry || !isSlipwayError(error) || error.code !== ErrorCode.Input) {
          throw error;
        }
        rejected = edited;
        io.err(`${error.message}\nopening the editor again; leave it without changes to give up\n`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
