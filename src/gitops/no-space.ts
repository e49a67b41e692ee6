/**
 * A full disk under the GitOps checkout. Node reports it as ENOSPC, git as "No space left on
 * device" in its stderr (or as a failure to write an object or the index). Either way the deploy
 * stops with one error saying so, after the checkout was put back to its last commit.
 */
import { readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ErrorCode, isSlipwayError, SlipwayError } from "../core/errors.ts";
import type { WorkingCopy } from "./working-copy.ts";

export function isNoSpace(error: unknown): boolean {
  if ((error as NodeJS.ErrnoException | null)?.code === "ENOSPC") return true;
  if (!isSlipwayError(error)) return false;
  const stderr = String(error.details.stderr ?? error.message);
  return /No space left on device|ENOSPC|Out of diskspace/i.test(stderr);
}

export function noSpaceError(
  dir: string,
  cause: unknown,
  committed: string | undefined,
  clean = true,
): SlipwayError {
  const what = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
  const outcome =
    committed !== undefined
      ? `the deploy's commit ${committed.slice(0, 12)} was made and stays in the checkout; the next deploy pushes it`
      : clean
        ? "nothing was committed, and the checkout is as it was at its last commit"
        : "nothing was committed; the files this deploy wrote could not be put back for lack of space, and the next deploy puts them back before anything else";
  return new SlipwayError(
    ErrorCode.Unavailable,
    `no space left on the device holding the GitOps checkout ${dir} (${what}); ${outcome}. ` +
      "Free space there and deploy again.",
    { cause, details: { dir, noSpace: true, ...(committed === undefined ? {} : { committed }) } },
  );
}

/**
 * Puts the scope's `.yaml` files back to HEAD's without writing git's index (which needs room a
 * full disk lacks): each file is removed first, so its space serves the old content. Returns
 * whether the files now match HEAD. Only used when the ordinary undo could not run.
 */
export async function restoreFilesFromHead(wc: WorkingCopy, dir: string): Promise<boolean> {
  const read = { env: { GIT_OPTIONAL_LOCKS: "0" } };
  try {
    const listed = (await wc.git(["ls-tree", "--name-only", "HEAD", "--", `${dir}/`], read)).stdout;
    const committed = listed.split("\n").filter((f) => f.endsWith(".yaml"));
    const present = (await readdir(join(wc.dir, dir)).catch(() => [] as string[]))
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => `${dir}/${f}`);
    for (const file of present) if (!committed.includes(file)) await rm(join(wc.dir, file), { force: true });
    for (const file of committed) {
      const text = (await wc.git(["show", `HEAD:${file}`], read)).stdout;
      await rm(join(wc.dir, file), { force: true });
      await writeFile(join(wc.dir, file), text);
    }
    const status = await wc.git(["status", "--porcelain", "--untracked-files=all", "--", dir], read);
    return status.stdout.trim() === "";
  } catch {
    return false;
  }
}
