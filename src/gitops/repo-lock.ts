/**
 * One deploy at a time per GitOps repository, across processes (two CLI runs, a CLI run and the
 * server): writing files, committing and pushing must not interleave, or one deploy's files would
 * land in the other's commit. A lock file created with O_EXCL holds the owner's pid; a lock whose
 * owner died is taken over, so a crashed deploy never blocks the repository for good.
 */
import { open, readFile, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { ErrorCode, SlipwayError } from "../core/errors.ts";

export interface LockOptions {
  /** How long to wait for another deploy to finish. */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
}

export async function withRepoLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  await acquire(lockPath, options.timeoutMs ?? 120_000, options.pollMs ?? 50);
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}

async function acquire(lockPath: string, timeoutMs: number, pollMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const owner = `${process.pid}@${hostname()}`;
  for (;;) {
    try {
      const handle = await open(lockPath, "wx");
      await handle.writeFile(`${owner}\n`);
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = await readHolder(lockPath);
    if (holder !== undefined && isDeadLocalProcess(holder)) {
      // Its owner crashed. Removing and retrying the exclusive create keeps the takeover race-free:
      // only one contender's create can succeed.
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new SlipwayError(
        ErrorCode.Conflict,
        `another deploy (${holder ?? "unknown owner"}) holds the GitOps repository lock ${lockPath}; ` +
          `waited ${timeoutMs} ms. Retry when it has finished, or remove the file if its owner is gone.`,
        { details: { lockPath, holder } },
      );
    }
    await sleep(pollMs);
  }
}

async function readHolder(lockPath: string): Promise<string | undefined> {
  try {
    return (await readFile(lockPath, "utf8")).trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Only a process on this host can be checked; a lock from another host is honoured until the timeout. */
function isDeadLocalProcess(holder: string): boolean {
  const [pid, host] = holder.split("@");
  if (host !== hostname() || pid === undefined || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
