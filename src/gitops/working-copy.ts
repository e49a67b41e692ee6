/**
 * Slipway's checkout of the GitOps repository: created when missing (cloned from `url`, or a new
 * repository), brought up to date with `origin` before each deploy (fast-forward only), and pushed
 * after each commit. A push rejected because someone else pushed first is rebased and retried: the
 * other commit touched another app's directory, so the rebase is clean; when it is not, the deploy
 * stops with a conflict instead of overwriting their work.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { type Git, gitIn } from "./git.ts";

export interface WorkingCopyOptions {
  readonly dir: string;
  readonly url?: string;
  /** Defaults to the checkout's current branch, or `main` for a new repository. */
  readonly branch?: string;
  /** Who commits (deploys and the rebases of a retried push); never taken from a global git config. */
  readonly author: { readonly name: string; readonly email: string };
}

export interface WorkingCopy {
  readonly dir: string;
  readonly git: Git;
  readonly branch: string;
  readonly hasRemote: boolean;
  /** The gitdir (where the deploy lock lives). */
  readonly gitDir: string;
}

const REMOTE = "origin";
const PUSH_ATTEMPTS = 3;

export function isRepository(dir: string): boolean {
  return existsSync(join(dir, ".git"));
}

export async function openWorkingCopy(options: WorkingCopyOptions): Promise<WorkingCopy> {
  const { dir } = options;
  if (!isRepository(dir)) {
    if (options.url !== undefined) {
      await cloneInto(options.url, dir);
    } else {
      await mkdir(dir, { recursive: true });
      await gitIn(dir)(["init", "-q", "-b", options.branch ?? "main"]);
    }
  }
  const { name, email } = options.author;
  const git = gitIn(dir, {
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: email,
    GIT_COMMITTER_NAME: name,
    GIT_COMMITTER_EMAIL: email,
  });
  const current = (await git(["symbolic-ref", "--short", "-q", "HEAD"], { okExitCodes: [1] })).stdout.trim();
  const branch = options.branch ?? (current || "main");
  const remotes = (await git(["remote"])).stdout.split("\n").map((r) => r.trim());
  let hasRemote = remotes.includes(REMOTE);
  if (options.url !== undefined) {
    // The platform file is the truth about where the repository lives: a checkout made before a
    // remote was configured (or pointing elsewhere) follows it.
    const current = hasRemote ? (await git(["remote", "get-url", REMOTE])).stdout.trim() : undefined;
    if (!hasRemote) await git(["remote", "add", REMOTE, options.url]);
    else if (current !== options.url) await git(["remote", "set-url", REMOTE, options.url]);
    hasRemote = true;
  }
  const gitDir = (await git(["rev-parse", "--absolute-git-dir"])).stdout.trim();
  return { dir, git, branch, hasRemote, gitDir };
}

/**
 * Clones beside `dir` and renames into place: the deploy lock lives inside the repository, so two
 * first deploys can race here, and a rename lets exactly one clone win while the other is dropped.
 */
async function cloneInto(url: string, dir: string): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const staging = await mkdtemp(`${dir}.clone-`);
  try {
    await gitIn(staging)(["clone", "-q", url, "."]);
    await rename(staging, dir).catch((error: NodeJS.ErrnoException) => {
      // Another deploy's clone won the race; its checkout is as good as ours.
      if (!["EEXIST", "ENOTEMPTY"].includes(error.code ?? "") || !isRepository(dir)) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Switches to the branch and fast-forwards it to `origin`'s copy when there is one. */
export async function syncWithRemote(wc: WorkingCopy): Promise<void> {
  const { git, branch } = wc;
  const current = (await git(["symbolic-ref", "--short", "-q", "HEAD"], { okExitCodes: [1] })).stdout.trim();
  if (current !== branch) {
    if (!(await hasRef(git, "HEAD"))) await git(["symbolic-ref", "HEAD", `refs/heads/${branch}`]);
    else if (await hasRef(git, `refs/heads/${branch}`)) await git(["switch", "-q", branch]);
    else await git(["switch", "-q", "-c", branch]);
  }
  if (!wc.hasRemote) return;
  await git(["fetch", "-q", REMOTE]);
  if (!(await hasRef(git, `refs/remotes/${REMOTE}/${branch}`))) return;
  if (!(await hasRef(git, "HEAD"))) {
    await git(["merge", "-q", "--ff-only", `${REMOTE}/${branch}`]);
    return;
  }
  // A fast-forward, or, when an earlier push failed, our unpushed deploy commits replayed on top.
  await rebaseOnRemote(wc);
}

async function rebaseOnRemote(wc: WorkingCopy): Promise<void> {
  const { git, branch } = wc;
  const rebase = await git(["rebase", "-q", `${REMOTE}/${branch}`], { okExitCodes: [1] });
  if (rebase.exitCode === 0) return;
  await git(["rebase", "--abort"], { okExitCodes: [1, 128] });
  // Slipway owns this checkout: drop the local commit that cannot be replayed, so that the next
  // deploy renders on top of what the remote holds instead of failing the same way again.
  await git(["reset", "-q", "--hard", `${REMOTE}/${branch}`]);
  throw new SlipwayError(
    ErrorCode.Conflict,
    `someone else changed the same files of ${wc.dir} (${branch}) on ${REMOTE}; this deploy was not pushed. ` +
      "Deploy again to write on top of their change.",
    { details: { dir: wc.dir, branch, stderr: rebase.stderr.trim() } },
  );
}

/** Pushes when `origin` exists and lacks local commits; returns whether it pushed. */
export async function pushIfAhead(wc: WorkingCopy): Promise<boolean> {
  const { git, branch } = wc;
  if (!wc.hasRemote || !(await hasRef(git, "HEAD"))) return false;
  const remoteRef = `refs/remotes/${REMOTE}/${branch}`;
  if (await hasRef(git, remoteRef)) {
    const ahead = Number((await git(["rev-list", "--count", `${remoteRef}..HEAD`])).stdout.trim());
    if (ahead === 0) return false;
  }
  for (let attempt = 1; ; attempt++) {
    const result = await git(["push", "-q", REMOTE, `HEAD:refs/heads/${branch}`], { okExitCodes: [1] });
    if (result.exitCode === 0) return true;
    const rejected = /\[rejected\]|non-fast-forward|fetch first/.test(result.stderr);
    if (!rejected || attempt === PUSH_ATTEMPTS) {
      throw new SlipwayError(
        ErrorCode.Git,
        `\`git push ${REMOTE} HEAD:refs/heads/${branch}\` failed in ${wc.dir}: ${result.stderr.trim()}`,
        { details: { command: "git push", dir: wc.dir, stderr: result.stderr.trim(), attempts: attempt } },
      );
    }
    await git(["fetch", "-q", REMOTE]);
    await rebaseOnRemote(wc);
  }
}

export async function headCommit(wc: WorkingCopy): Promise<string | undefined> {
  const result = await wc.git(["rev-parse", "-q", "--verify", "HEAD"], { okExitCodes: [1] });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

async function hasRef(git: Git, ref: string): Promise<boolean> {
  return (await git(["rev-parse", "-q", "--verify", ref], { okExitCodes: [1] })).exitCode === 0;
}
