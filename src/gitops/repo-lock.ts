/**
 * One deploy at a time per GitOps repository, across processes (two CLI runs, a CLI run and the
 * server): writing files, committing and pushing must not interleave, or one deploy's files would
 * land in the other's commit.
 *
 * The lock is a file whose content (owner, purpose, start time, a random token) is written first
 * and then hard-linked into place: `link` fails when the name exists, so exactly one contender
 * wins, and the lock is never seen half-written. A lock whose owner died is taken over, so a
 * crashed deploy never blocks the repository for good. Removing a dead lock is the only delicate
 * step (two contenders that both saw it dead must not remove each other's fresh lock): the right
 * to remove one particular dead lock is itself claimed with an exclusive create of a marker named
 * after that lock's content, so at most one contender ever removes it, and only while it is still
 * the lock it judged dead. A new lock always carries a new token, so a removed lock never returns.
 */
import { createHash, randomUUID } from "node:crypto";
import { link, readFile, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { ErrorCode, SlipwayError } from "../core/errors.ts";

export interface LockHolder {
  readonly pid?: number;
  readonly host?: string;
  /** When the holder took the lock (ISO 8601). */
  readonly since?: string;
  /** What the holder is doing, e.g. `deploy cart to develop`. */
  readonly purpose?: string;
  /** The file's content as read: what a takeover compares before removing it. */
  readonly raw: string;
}

export interface LockOptions {
  /** How long to wait for another deploy to finish. */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
  /** Written into the lock, so that whoever waits for it can be told what holds it. */
  readonly purpose?: string;
  /** Called once when the lock is held by someone else and this call starts to wait. */
  readonly onWait?: (holder: LockHolder, timeoutMs: number) => void;
}

export async function withRepoLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const held = await acquire(lockPath, options);
  try {
    return await fn();
  } finally {
    // Only our own lock: after a takeover bug or a hand-removed file, another holder's stays.
    if ((await readRaw(lockPath)) === held) await rm(lockPath, { force: true });
  }
}

/** Returns the content of the lock it holds. */
async function acquire(lockPath: string, options: LockOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  const token = randomUUID();
  const content = `${JSON.stringify({
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    ...(options.purpose === undefined ? {} : { purpose: options.purpose }),
    token,
  })}\n`;
  const staged = `${lockPath}.${token}.tmp`;
  await writeFile(staged, content, { flag: "wx" }).catch(async (error: unknown) => {
    // A full disk: no half-written lock file is left behind.
    await rm(staged, { force: true });
    throw error;
  });
  let told = false;
  try {
    for (;;) {
      try {
        await link(staged, lockPath);
        return content;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const holder = await readHolder(lockPath);
      if (holder === undefined) continue; // released between our link and our read
      if (isDeadLocalProcess(holder) && (await removeDeadLock(lockPath, holder))) continue;
      if (Date.now() >= deadline) {
        throw new SlipwayError(
          ErrorCode.Conflict,
          `another deploy (${describeHolder(holder)}) holds the GitOps repository lock ${lockPath}; ` +
            `waited ${timeoutMs / 1000} s. Retry when it has finished, or remove the file if its owner is gone.`,
          { details: { lockPath, holder: holder.raw.trim() } },
        );
      }
      if (!told) {
        told = true;
        options.onWait?.(holder, timeoutMs);
      }
      await sleep(options.pollMs ?? 50);
    }
  } finally {
    await rm(staged, { force: true });
  }
}

/**
 * Removes `holder`'s lock if this contender wins the right to: the marker's exclusive create
 * admits one contender per dead lock. Returns false when another contender holds that right.
 */
async function removeDeadLock(lockPath: string, holder: LockHolder): Promise<boolean> {
  const id = createHash("sha256").update(holder.raw).digest("hex").slice(0, 16);
  const marker = `${lockPath}.takeover-${id}`;
  try {
    await writeFile(marker, `${process.pid}@${hostname()}\n`, { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    // Still the lock judged dead? Nobody else may remove it while we hold its marker, and its
    // owner is gone, so it cannot change between this read and the removal.
    if ((await readRaw(lockPath)) === holder.raw) await rm(lockPath, { force: true });
  } finally {
    await rm(marker, { force: true });
  }
  return true;
}

async function readRaw(lockPath: string): Promise<string | undefined> {
  try {
    return await readFile(lockPath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function readHolder(lockPath: string): Promise<LockHolder | undefined> {
  const raw = await readRaw(lockPath);
  return raw === undefined ? undefined : parseHolder(raw);
}

/** The JSON line this module writes, or `pid@host` as earlier versions wrote it. */
export function parseHolder(raw: string): LockHolder {
  const text = raw.trim();
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return {
      raw,
      ...(Number.isInteger(parsed.pid) ? { pid: parsed.pid as number } : {}),
      ...(typeof parsed.host === "string" ? { host: parsed.host } : {}),
      ...(typeof parsed.since === "string" ? { since: parsed.since } : {}),
      ...(typeof parsed.purpose === "string" ? { purpose: parsed.purpose } : {}),
    };
  } catch {
    const match = /^(\d+)@(.+)$/.exec(text);
    return match === null ? { raw } : { raw, pid: Number(match[1]), host: match[2] as string };
  }
}

/** `deploy cart to develop, pid 4242 on ci-7, since 2026-12-04T23:40:01Z (12 s ago)` */
export function describeHolder(holder: LockHolder, now = Date.now()): string {
  const parts: string[] = [];
  if (holder.purpose !== undefined) parts.push(holder.purpose);
  if (holder.pid !== undefined)
    parts.push(`pid ${holder.pid}${holder.host === undefined ? "" : ` on ${holder.host}`}`);
  const since = holder.since === undefined ? Number.NaN : Date.parse(holder.since);
  if (!Number.isNaN(since)) {
    const ago = Math.max(0, Math.round((now - since) / 1000));
    parts.push(`since ${new Date(since).toISOString().replace(/\.\d+Z$/, "Z")} (${ago} s ago)`);
  }
  return parts.length === 0 ? "unknown owner" : parts.join(", ");
}

/** Only a process on this host can be checked; a lock from another host is honoured until the timeout. */
function isDeadLocalProcess(holder: LockHolder): boolean {
  if (holder.host !== hostname() || holder.pid === undefined) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
