/**
 * What a deploy may assume about the checkout before it starts. Work a person left in it
 * (staged, modified or deleted files) is never discarded: the deploy is refused with the list.
 * What an interrupted deploy left (files written, maybe staged, never committed) is Slipway's own:
 * a deploy notes in the gitdir which directory it is about to write, clears the note once it has
 * committed, and the next deploy finding the note puts that directory back to the last commit and
 * starts over from what is committed.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { WorkingCopy } from "./working-copy.ts";

const PENDING_FILE = "slipway-deploy-pending.json";
const SHOWN_CHANGES = 20;

/** Slipway's own files of a scope directory, as a git pathspec. */
export const ownFiles = (dir: string) => `:(glob)${dir}/*.yaml`;

export interface CheckoutChange {
  /** `git status --porcelain` columns: index and work tree, e.g. `A ` or ` M` or `??`. */
  readonly status: string;
  readonly path: string;
}

/**
 * Uncommitted changes that a deploy of `dir` could lose or sweep into its commit: every change
 * to a tracked file, and untracked `.yaml` files inside `dir` (Slipway's own name pattern there).
 * Other untracked files are never touched by a deploy and stay out of the way.
 */
export async function uncommittedChanges(
  wc: WorkingCopy,
  dir: string,
  except?: string,
): Promise<CheckoutChange[]> {
  const out = (await wc.git(["status", "--porcelain=v1", "-z", "--untracked-files=all"])).stdout;
  const fields = out.split("\0");
  const changes: CheckoutChange[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as string;
    if (field === "") continue;
    const status = field.slice(0, 2);
    const path = field.slice(3);
    // A rename or copy is followed by its source path.
    if (status.includes("R") || status.includes("C")) i++;
    if (except !== undefined && isOwnFile(except, path)) continue;
    if (status === "??" && !isOwnFile(dir, path)) continue;
    changes.push({ status, path });
  }
  return changes;
}

export async function assertClean(wc: WorkingCopy, dir: string, except?: string): Promise<void> {
  const changes = await uncommittedChanges(wc, dir, except);
  if (changes.length === 0) return;
  const shown = changes.slice(0, SHOWN_CHANGES).map((c) => `  ${c.status} ${c.path}`);
  if (changes.length > SHOWN_CHANGES) shown.push(`  … and ${changes.length - SHOWN_CHANGES} more`);
  throw new SlipwayError(
    ErrorCode.Conflict,
    `the GitOps checkout ${wc.dir} has uncommitted changes, and Slipway never discards or commits someone's work:\n` +
      `${shown.join("\n")}\n` +
      `Commit and push them, or remove them (git -C ${wc.dir} status shows them), then run this again. Nothing was changed.`,
    { details: { dir: wc.dir, changes } },
  );
}

interface PendingWrite {
  readonly dir: string;
  readonly purpose: string;
  readonly since: string;
}

/** Notes that `dir` is about to be written; cleared by `finishWriting` after the commit. */
export async function startWriting(wc: WorkingCopy, dir: string, purpose: string): Promise<void> {
  const note: PendingWrite = { dir, purpose, since: new Date().toISOString() };
  const file = join(wc.gitDir, PENDING_FILE);
  await writeFile(file, `${JSON.stringify(note)}\n`).catch(async (error: unknown) => {
    // A note cut short (a full disk) would be unreadable to the next deploy: none at all instead.
    await rm(file, { force: true });
    throw error;
  });
}

export async function finishWriting(wc: WorkingCopy): Promise<void> {
  await rm(join(wc.gitDir, PENDING_FILE), { force: true });
}

/** The directory an interrupted deploy was writing, if one was. */
export async function interruptedWrite(wc: WorkingCopy): Promise<PendingWrite | undefined> {
  let text: string;
  try {
    text = await readFile(join(wc.gitDir, PENDING_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const note = JSON.parse(text) as Partial<PendingWrite>;
  // Only a directory this module could have written: a scope path of two DNS labels.
  if (typeof note.dir !== "string" || !/^[a-z0-9-]+\/[a-z0-9-]+$/.test(note.dir)) return undefined;
  return { dir: note.dir, purpose: String(note.purpose ?? "a deploy"), since: String(note.since ?? "") };
}

/**
 * Puts the interrupted deploy's directory back to the last commit (index and files), then
 * forgets the note. Returns what was undone, for a note to the user.
 */
export async function undoInterruptedWrite(wc: WorkingCopy): Promise<PendingWrite | undefined> {
  const pending = await interruptedWrite(wc);
  if (pending === undefined) {
    await finishWriting(wc);
    return undefined;
  }
  const own = ownFiles(pending.dir);
  const { git } = wc;
  const hasHead = (await git(["rev-parse", "-q", "--verify", "HEAD"], { okExitCodes: [1] })).exitCode === 0;
  if (hasHead) {
    await git(["reset", "-q", "--", own]);
    const committed = (await git(["ls-tree", "--name-only", "HEAD", "--", `${pending.dir}/`])).stdout;
    if (committed.split("\n").some((f) => f.endsWith(".yaml")))
      await git(["checkout", "-q", "HEAD", "--", own]);
  } else {
    await git(["rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", own]);
  }
  await git(["clean", "-q", "-f", "--", own]);
  await finishWriting(wc);
  return pending;
}

function isOwnFile(dir: string, path: string): boolean {
  return path.startsWith(`${dir}/`) && path.endsWith(".yaml") && !path.slice(dir.length + 1).includes("/");
}
