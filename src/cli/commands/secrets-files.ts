/**
 * How `slipway secrets` changes an encrypted file without losing anyone's change:
 *  - it refuses what a rename would silently get wrong: a symbolic link (the link would become a
 *    regular file and its target keep the old value), a read-only file, a directory it cannot
 *    write in;
 *  - it holds a lock file beside the file (created with O_EXCL, so only one process holds it) from
 *    reading to writing, so two `set`s run one after the other instead of one losing its value;
 *  - before renaming the new text over the file it checks that the file is still what it read
 *    (sops, git or an editor do not take the lock), and refuses otherwise;
 *  - it writes the new text beside the file and renames it over, so a reader never sees half a file.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  openSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  type Stats,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import type { CliIo } from "../io.ts";
import { cleanupOnSignal } from "./secrets-signals.ts";

/**
 * How long a command waits for another one's lock before it gives up and says who holds it;
 * `SLIPWAY_LOCK_WAIT_MS` overrides it (scripts that would rather fail at once set 0).
 */
export const LOCK_WAIT_MS = 15_000;

function lockWaitMs(io: CliIo): number {
  const configured = Number(io.env.SLIPWAY_LOCK_WAIT_MS);
  return io.env.SLIPWAY_LOCK_WAIT_MS !== undefined && Number.isFinite(configured) && configured >= 0
    ? configured
    : LOCK_WAIT_MS;
}

const digest = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

export function readInput(io: CliIo, file: string): { path: string; bytes: Buffer } {
  const path = resolve(io.cwd, file);
  try {
    return { path, bytes: readFileSync(path) };
  } catch (error) {
    throw fileError(error, file, "read");
  }
}

/** A file opened for a change: its bytes as read, and `write`, which replaces it if unchanged since. */
export interface WritableFile {
  readonly path: string;
  readonly bytes: Buffer;
  write(text: string): void;
}

/**
 * Runs `change` on `file` under its lock. `command` names the holder in another process's error.
 * The lock is released afterwards, also when `change` fails or a signal stops the process.
 */
export async function changeFile<T>(
  io: CliIo,
  file: string,
  command: string,
  change: (target: WritableFile) => Promise<T>,
): Promise<T> {
  const path = resolve(io.cwd, file);
  const stats = writableStats(path, file);
  const lock = await acquireLock(path, file, command, lockWaitMs(io));
  const stopGuard = cleanupOnSignal(() => lock.release());
  try {
    const bytes = readFileSync(path);
    const read = digest(bytes);
    return await change({
      path,
      bytes,
      write: (text) => {
        if (digest(readFileSync(path)) !== read) {
          throw new SlipwayError(
            ErrorCode.Conflict,
            `${file} changed since it was read (by a program that does not take Slipway's lock: sops, git, an editor); nothing was written: run the command again`,
            { details: { file } },
          );
        }
        replaceFile(path, file, text, stats.mode & 0o7777);
      },
    });
  } finally {
    stopGuard();
    lock.release();
  }
}

/** What a rename over `path` would silently get wrong, refused before anything is decrypted. */
function writableStats(path: string, file: string): Stats {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    throw fileError(error, file, "read");
  }
  if (stats.isSymbolicLink()) {
    const target = resolve(dirname(path), readlinkSync(path));
    throw new SlipwayError(
      ErrorCode.Input,
      `${file} is a symbolic link to ${target}; Slipway does not write through links (the link would become a file and ${target} keep the old value): run the command on ${target}`,
      { details: { file, target } },
    );
  }
  if (!stats.isFile()) throw new SlipwayError(ErrorCode.Input, `${file} is not a regular file`);
  // Mode bits, not access(2): root may write anything, but a read-only file says "do not change".
  if ((stats.mode & 0o222) === 0) {
    throw new SlipwayError(
      ErrorCode.Input,
      `${file} is read-only (mode ${(stats.mode & 0o777).toString(8).padStart(4, "0")}); make it writable (chmod u+w ${file}) to change it`,
      { details: { file } },
    );
  }
  return stats;
}

/** Writes beside the target and renames over it, keeping the file's mode. */
function replaceFile(path: string, file: string, text: string, mode: number): void {
  const temp = join(dirname(path), `.${basename(path)}.slipway-${randomBytes(6).toString("hex")}`);
  try {
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw fileError(error, file, "write");
  }
}

interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
  readonly command: string;
  readonly token: string;
}

interface Lock {
  release(): void;
}

/** `.<name>.slipway-lock` beside the file: its directory is the one place every writer shares. */
const lockPathOf = (path: string): string => join(dirname(path), `.${basename(path)}.slipway-lock`);

async function acquireLock(path: string, file: string, command: string, waitMs: number): Promise<Lock> {
  const lockPath = lockPathOf(path);
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    command,
    token: randomBytes(12).toString("hex"),
  };
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (tryCreate(lockPath, me, file)) {
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          // Only our own lock: never one that another process took over after a crash of ours.
          if (readHolder(lockPath)?.token === me.token) rmSync(lockPath, { force: true });
        },
      };
    }
    const holder = readHolder(lockPath);
    if (holder && isDead(holder)) {
      breakStaleLock(lockPath, holder, file);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder
        ? `\`slipway ${holder.command}\` (pid ${holder.pid} on ${holder.host}, since ${holder.since})`
        : "another process";
      throw new SlipwayError(
        ErrorCode.Conflict,
        `${file} is being changed by ${who}; try again when it has finished, or remove ${lockPath} if that process no longer runs`,
        { details: { file, lock: lockPath } },
      );
    }
    await sleep(20 + Math.floor(Math.random() * 60));
  }
}

function tryCreate(lockPath: string, holder: LockHolder, file: string): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw fileError(error, file, "lock");
  }
  try {
    writeSync(fd, JSON.stringify(holder));
  } finally {
    closeSync(fd);
  }
  return true;
}

function readHolder(lockPath: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(lockPath, "utf8")) as Partial<LockHolder>;
    return typeof parsed.pid === "number" && typeof parsed.token === "string"
      ? (parsed as LockHolder)
      : undefined;
  } catch {
    // Gone, or being written this instant: the caller looks again.
    return undefined;
  }
}

/** A holder on this machine whose process has ended (killed with SIGKILL, or the machine slept). */
function isDead(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Removes a dead holder's lock. Two processes may find the same stale lock; a second, short-lived
 * lock (`…-break`) lets one of them re-read it and remove it only if it is still that holder's,
 * so a live lock taken meanwhile is never removed.
 */
function breakStaleLock(lockPath: string, stale: LockHolder, file: string): void {
  const breaker = `${lockPath}-break`;
  const me = { ...stale, pid: process.pid, host: hostname(), token: randomBytes(12).toString("hex") };
  if (!tryCreate(breaker, me, file)) {
    const other = readHolder(breaker);
    if (other && isDead(other)) rmSync(breaker, { force: true });
    return;
  }
  try {
    if (readHolder(lockPath)?.token === stale.token) rmSync(lockPath, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
}

/** A file-system failure as the user can act on it, never a stack trace. */
function fileError(error: unknown, file: string, action: "read" | "write" | "lock"): SlipwayError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT" && action === "read") {
    return new SlipwayError(ErrorCode.NotFound, `${file}: no such file`, { details: { file } });
  }
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    const message =
      action === "read"
        ? `${file} cannot be read (${code})`
        : `cannot write in the directory of ${file} (${code}): Slipway writes a lock file and the new version beside ${file}, then renames it over the old one; make the directory writable, or copy the file somewhere writable`;
    return new SlipwayError(ErrorCode.Input, message, { details: { file }, cause: error });
  }
  if (code === "EISDIR") return new SlipwayError(ErrorCode.Input, `${file} is a directory`);
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new SlipwayError(ErrorCode.Input, `no space left to write ${file}; it was not changed`, {
      cause: error,
    });
  }
  return new SlipwayError(
    ErrorCode.Internal,
    `${file}: could not ${action} (${code ?? String(error)}); it was not changed`,
    {
      cause: error,
    },
  );
}
