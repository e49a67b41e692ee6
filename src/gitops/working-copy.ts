/**
 * Slipway's checkout of the GitOps repository: created when missing (cloned from `url`, or a new
 * repository), brought up to date with `origin` before each deploy, and pushed after each commit.
 * A push rejected because someone else pushed first is rebased and retried: the other commit
 * touched another app's directory, so the rebase is clean; when it is not, the deploy stops with
 * a conflict instead of overwriting their work. Nothing here resets uncommitted work: a deploy
 * first makes sure there is none (`checkout-state.ts`).
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ErrorCode, isSlipwayError, SlipwayError } from "../core/errors.ts";
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
    const { url } = options;
    if (url !== undefined) await createInPlace(dir, (git) => git(["clone", "-q", url, "."]));
    else if (existsSync(dir) && (await readdir(dir)).length > 0) {
      // The operator's directory with files already in it becomes the repository where it is.
      await gitIn(dir)(["init", "-q", "-b", options.branch ?? "main"]);
    } else await createInPlace(dir, (git) => git(["init", "-q", "-b", options.branch ?? "main"]));
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
 * Makes the repository beside `dir` (a clone, or a new one) and renames it into place: the deploy
 * lock lives inside the repository, so two first deploys (the engine runs several at once) race
 * here, and a rename lets exactly one win while the other is dropped. Two `git init`s in one
 * directory at once failed ("cannot copy … hooks/…: File exists").
 */
async function createInPlace(dir: string, make: (git: Git) => Promise<unknown>): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const staging = await mkdtemp(`${dir}.new-`);
  try {
    await make(gitIn(staging));
    // Onto a missing or empty directory; a full one means another deploy's repository is there.
    await rename(staging, dir).catch((error: NodeJS.ErrnoException) => {
      // Another deploy's repository won the race; it is as good as ours.
      if (!["EEXIST", "ENOTEMPTY"].includes(error.code ?? "") || !isRepository(dir)) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Switches to the branch and brings it up to date with `origin`: a fast-forward, or, when an
 * earlier deploy's push failed, its unpushed commits replayed on top. The checkout must be clean
 * (see `assertClean`): nothing here discards uncommitted work. When `origin` cannot be fetched
 * (unreachable, refusing), the branch stays as it is and the fetch's error is returned: a deploy
 * then commits in the checkout, and the next deploy that reaches `origin` pushes the commit.
 */
export async function syncWithRemote(wc: WorkingCopy): Promise<SlipwayError | undefined> {
  const { git, branch } = wc;
  const current = (await git(["symbolic-ref", "--short", "-q", "HEAD"], { okExitCodes: [1] })).stdout.trim();
  if (current !== branch) {
    if (!(await hasRef(git, "HEAD"))) await git(["symbolic-ref", "HEAD", `refs/heads/${branch}`]);
    else if (await hasRef(git, `refs/heads/${branch}`)) await git(["switch", "-q", branch]);
    else await git(["switch", "-q", "-c", branch]);
  }
  try {
    await fetchRemote(wc);
  } catch (error) {
    if (isSlipwayError(error) && error.code === ErrorCode.Git) return error;
    throw error;
  }
  if (!wc.hasRemote || !(await hasRef(git, `refs/remotes/${REMOTE}/${branch}`))) return undefined;
  if (!(await hasRef(git, "HEAD"))) {
    await git(["merge", "-q", "--ff-only", `${REMOTE}/${branch}`]);
    return undefined;
  }
  if ((await unpushedCommits(wc)).length === 0) {
    await git(["merge", "-q", "--ff-only", `${REMOTE}/${branch}`]);
    return undefined;
  }
  await rebaseOnRemote(wc);
  return undefined;
}

export async function fetchRemote(wc: WorkingCopy): Promise<void> {
  if (wc.hasRemote) await wc.git(["fetch", "-q", REMOTE]);
}

/**
 * The commit the GitOps controller reads: `origin`'s branch when there is a remote (as of the
 * last fetch), else the local branch; undefined when it has no commit yet.
 */
export async function publishedRevision(wc: WorkingCopy): Promise<string | undefined> {
  const refs = wc.hasRemote ? [`refs/remotes/${REMOTE}/${wc.branch}`] : [`refs/heads/${wc.branch}`];
  for (const ref of refs) {
    const result = await wc.git(["rev-parse", "-q", "--verify", `${ref}^{commit}`], { okExitCodes: [1] });
    if (result.exitCode === 0) return result.stdout.trim();
  }
  return undefined;
}

interface LocalCommit {
  readonly sha: string;
  readonly subject: string;
  /** Made by a deploy (it carries the Slipway-App trailer). */
  readonly deploy: boolean;
}

/** Commits of the branch that `origin` does not have. */
async function unpushedCommits(wc: WorkingCopy): Promise<LocalCommit[]> {
  const range = `refs/remotes/${REMOTE}/${wc.branch}..HEAD`;
  const format = "%H%x1f%s%x1f%(trailers:key=Slipway-App,valueonly,separator=%x2c)%x1e";
  const out = (await wc.git(["log", `--format=${format}`, range])).stdout;
  return out
    .split("\x1e")
    .map((record) => record.trim())
    .filter((record) => record !== "")
    .map((record) => {
      const [sha = "", subject = "", app = ""] = record.split("\x1f");
      return { sha, subject, deploy: app.trim() !== "" };
    });
}

/**
 * Replays the unpushed commits on `origin`'s branch. When they conflict with what was pushed
 * since, nothing is lost: commits a deploy made are set aside under `refs/slipway/unpushed/`
 * and the branch follows `origin` (the next deploy renders on top of it); anyone else's commits
 * are left exactly as they are. Either way the deploy stops with a conflict naming the files.
 */
async function rebaseOnRemote(wc: WorkingCopy): Promise<void> {
  const { git, branch } = wc;
  const upstream = `${REMOTE}/${branch}`;
  const rebase = await git(["rebase", "-q", upstream], { okExitCodes: [1] });
  if (rebase.exitCode === 0) return;
  const conflicted = (await git(["diff", "--name-only", "--diff-filter=U"], { okExitCodes: [1, 128] })).stdout
    .split("\n")
    .filter((f) => f !== "");
  await git(["rebase", "--abort"], { okExitCodes: [1, 128] });
  const stderr = rebase.stderr.trim();
  if (conflicted.length === 0) {
    throw new SlipwayError(
      ErrorCode.Git,
      `\`git rebase ${upstream}\` failed in ${wc.dir}: ${stderr || rebase.stdout.trim()}. ` +
        "The checkout was left as it was; fix what git names and run this again.",
      { details: { command: "git rebase", dir: wc.dir, stderr } },
    );
  }
  const local = await unpushedCommits(wc);
  const files = conflicted.join(", ");
  if (local.some((c) => !c.deploy)) {
    throw new SlipwayError(
      ErrorCode.Conflict,
      `${wc.dir} (${branch}) has commits that ${REMOTE} does not, and they change the same files as commits pushed to ${upstream} since (${files}). ` +
        `Slipway did not change the checkout: bring it in line with ${upstream} there (git rebase ${upstream}), then deploy again.`,
      { details: { dir: wc.dir, branch, conflicted, commits: local.map((c) => c.sha) } },
    );
  }
  const aside = `refs/slipway/unpushed/${branch}/${(local[0]?.sha ?? "").slice(0, 12)}`;
  await git(["update-ref", aside, "HEAD"]);
  await git(["reset", "-q", "--keep", upstream]);
  throw new SlipwayError(
    ErrorCode.Conflict,
    `commits pushed to ${upstream} by someone else change the same files (${files}) as ${local.length} deploy commit(s) here that were not pushed yet ` +
      `(${local.map((c) => c.subject).join("; ")}). Those were set aside as ${aside} and not pushed; deploy again to write on top of ${upstream}.`,
    { details: { dir: wc.dir, branch, conflicted, setAside: aside, commits: local.map((c) => c.sha) } },
  );
}

/** Pushes when `origin` exists and lacks local commits; returns how many commits it pushed. */
export async function pushIfAhead(wc: WorkingCopy): Promise<number> {
  const { git, branch } = wc;
  if (!wc.hasRemote || !(await hasRef(git, "HEAD"))) return 0;
  for (let attempt = 1; ; attempt++) {
    const remoteRef = `refs/remotes/${REMOTE}/${branch}`;
    const ahead = (await hasRef(git, remoteRef))
      ? Number((await git(["rev-list", "--count", `${remoteRef}..HEAD`])).stdout.trim())
      : Number((await git(["rev-list", "--count", "HEAD"])).stdout.trim());
    if (ahead === 0) return 0;
    const result = await git(["push", "-q", REMOTE, `HEAD:refs/heads/${branch}`], { okExitCodes: [1] });
    // A push updates the remote-tracking branch too, so what is published is known without a fetch.
    if (result.exitCode === 0) return ahead;
    const rejected = /\[rejected\]|non-fast-forward|fetch first/.test(result.stderr);
    if (!rejected || attempt === PUSH_ATTEMPTS) {
      throw new SlipwayError(
        ErrorCode.Git,
        `\`git push ${REMOTE} HEAD:refs/heads/${branch}\` failed in ${wc.dir}: ${result.stderr.trim()}. ` +
          "The commit stays in the checkout; the next deploy pushes it.",
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
