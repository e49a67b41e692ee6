/**
 * Reads an app's files at one commit of a repository Slipway does not trust: a bare mirror per
 * repository in a cache of Slipway's own, fetched incrementally with the real `git`, and files
 * read as blobs from the commit's tree; and the commits between two commits (`git log`), which a
 * release records.
 *
 * Why it is built this way — the repository is untrusted input to a privileged process:
 * - No working tree is ever checked out, so no smudge/clean filter (Git LFS or any other), no
 *   checkout hook and no submodule runs; blobs are read with `cat-file`, which applies no filters.
 *   An LFS pointer is read as the small text file it is.
 * - Submodules are never fetched (`--no-recurse-submodules`) and gitlinks in a tree are skipped;
 *   symlinks in the tree are refused by name, never followed.
 * - git runs with no system or global configuration, hooks pointed at nothing, only the transports
 *   the operator allows (`ext::` and friends never), objects checked on fetch (`fetch.fsckObjects`
 *   refuses `.git` paths, `..` entries and malformed trees), and a deadline after which the whole
 *   process group is killed. A fetch that grows the mirror beyond its size limit is stopped.
 * - Every file read has a size limit, and so has the total.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFile, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { ErrorCode, SlipwayError } from "../core/errors.ts";

export interface GitSourceLimits {
  /** Deadline of one git command (fetch included). */
  readonly timeoutMs: number;
  /** Largest mirror a fetch may grow to; the fetch is stopped beyond it. */
  readonly maxMirrorBytes: number;
  /** Largest single file read from a commit. */
  readonly maxFileBytes: number;
  /** Largest total of the files read by one `readTree`. */
  readonly maxTotalBytes: number;
  /** Most files one `readTree` returns. */
  readonly maxFiles: number;
}

export const defaultGitSourceLimits: GitSourceLimits = {
  timeoutMs: 120_000,
  maxMirrorBytes: 2 * 1024 ** 3,
  maxFileBytes: 1024 ** 2,
  maxTotalBytes: 16 * 1024 ** 2,
  maxFiles: 2_000,
};

export interface GitSourceOptions {
  /** Where the bare mirrors live (one directory per repository). */
  readonly cacheDir: string;
  readonly limits?: Partial<GitSourceLimits>;
  /**
   * Whether a repository may be a local path or a `file://` URL. Off by default: on a server a
   * local path reads the server's own disk. The CLI and tests turn it on.
   */
  readonly allowLocal?: boolean;
}

export interface CommitInfo {
  readonly commit: string;
  readonly authorName: string;
  readonly authorEmail: string;
  /** The author date, ISO 8601 (lead time is measured from it). */
  readonly authoredAt: string;
  readonly committedAt: string;
  readonly message: string;
}

/** One commit of a range, as a release records it: no body, only the message's first line. */
export interface CommitSummary {
  readonly commit: string;
  readonly authorName: string;
  readonly authorEmail: string;
  /** The author date, ISO 8601. */
  readonly authoredAt: string;
  /** The first line of the message. */
  readonly subject: string;
}

/** The commits reachable from one commit and not from another (`git log <since>..<commit>`). */
export interface CommitRange {
  /** Newest first; at most the limit asked for. */
  readonly commits: readonly CommitSummary[];
  /** How many commits the range holds, also past the limit. */
  readonly total: number;
  /**
   * How `since` relates to the commit: an ancestor (the commit holds everything `since` holds),
   * diverged (another line of history from a common ancestor), unrelated (no common ancestor: a
   * history rewritten from scratch; the range is empty) or missing (not in the repository: the
   * range is empty).
   */
  readonly since: "ancestor" | "diverged" | "unrelated" | "missing";
}

export interface SourceFile {
  /** Path relative to the directory that was read. */
  readonly path: string;
  readonly content: Buffer;
}

const remoteUrl = /^(?:https:\/\/|ssh:\/\/|git@[A-Za-z0-9.-]+:)[^\s]+$/;
const commitSha = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export class GitSource {
  readonly #cacheDir: string;
  readonly #limits: GitSourceLimits;
  readonly #allowLocal: boolean;
  /** The fetch under way per repository: the next one waits for it. */
  readonly #fetching = new Map<string, Promise<unknown>>();

  constructor(options: GitSourceOptions) {
    this.#cacheDir = options.cacheDir;
    this.#limits = { ...defaultGitSourceLimits, ...options.limits };
    this.#allowLocal = options.allowLocal ?? false;
  }

  /**
   * Makes `commit` of `repository` present in the mirror, fetching only what is missing, and
   * returns what lead time and the release record need of it.
   */
  async fetchCommit(repository: string, commit: string): Promise<CommitInfo> {
    checkRepository(repository, this.#allowLocal);
    if (!commitSha.test(commit)) {
      throw new SlipwayError(
        ErrorCode.Input,
        `commit "${commit}" is not a full commit id: give the 40-character SHA (git rev-parse HEAD)`,
      );
    }
    const mirror = await this.#fetched(repository, commit);
    const format = ["%H", "%an", "%ae", "%at", "%ct", "%B"].join("%x00");
    const out = await this.#git(mirror, ["log", "-1", "--no-show-signature", `--format=${format}`, commit]);
    const [sha = commit, authorName = "", authorEmail = "", authoredAt = "", committedAt = "", ...message] =
      out.toString("utf8").split("\0");
    return {
      commit: sha,
      authorName,
      authorEmail,
      authoredAt: commitTime(sha, authoredAt, committedAt),
      committedAt: commitTime(sha, committedAt, authoredAt),
      message: message.join("\0").trim(),
    };
  }

  /**
   * The commits reachable from `commit` and not from `since`, newest first, at most `limit`, like
   * `git log <since>..<commit> -- <path>`: with a `path` ("" for the whole repository), only the
   * commits that changed something under it. `commit` must exist (it is fetched when missing);
   * `since` is fetched when missing, and a `since` the repository does not have gives an empty
   * range marked `missing`; one with no common ancestor, an empty range marked `unrelated`. Merge
   * commits are left out.
   */
  async listCommits(
    repository: string,
    commit: string,
    options: { readonly since: string; readonly path: string; readonly limit: number },
  ): Promise<CommitRange> {
    checkRepository(repository, this.#allowLocal);
    for (const sha of [commit, options.since]) {
      if (!commitSha.test(sha)) throw new SlipwayError(ErrorCode.Input, `"${sha}" is not a full commit id`);
    }
    const mirror = await this.#fetched(repository, commit);
    const present = await this.#fetched(repository, options.since).then(
      () => true,
      (error: unknown) => {
        if ((error as { code?: unknown }).code === ErrorCode.NotFound) return false;
        throw error;
      },
    );
    if (!present) return { commits: [], total: 0, since: "missing" };
    // `since` is an ancestor when it is the best common ancestor. Unrelated histories have none
    // (exit 1): everything reachable from `commit` would be "new", so the range is left empty.
    const base = (await this.#git(mirror, ["merge-base", options.since, commit], "", [0, 1]))
      .toString("utf8")
      .trim();
    if (base === "") return { commits: [], total: 0, since: "unrelated" };
    const prefix = normalizeDir(options.path);
    // Literal pathspecs: the path is a directory name, never a glob or pathspec magic. No merge
    // commits: a merge brings no change of its own (the commits it merges are in the range), and
    // `git log -- <path>` leaves most of them out anyway, so a range is the same with or without one.
    const range = ["--no-merges", commit, `^${options.since}`, "--", ...(prefix === "" ? [] : [prefix])];
    const format = ["%H", "%an", "%ae", "%at", "%ct", "%s"].join("%x00");
    const out = await this.#git(mirror, [
      "--literal-pathspecs",
      "log",
      "-z",
      "--no-show-signature",
      `--max-count=${options.limit}`,
      `--format=${format}`,
      ...range,
    ]);
    const fields = out.toString("utf8").split("\0");
    const commits: CommitSummary[] = [];
    for (let i = 0; i + 5 < fields.length; i += 6) {
      const sha = fields[i]!.trim();
      commits.push({
        commit: sha,
        authorName: fields[i + 1]!,
        authorEmail: fields[i + 2]!,
        authoredAt: commitTime(sha, fields[i + 3]!, fields[i + 4]!),
        subject: fields[i + 5]!,
      });
    }
    const total =
      commits.length < options.limit
        ? commits.length
        : Number(
            (await this.#git(mirror, ["--literal-pathspecs", "rev-list", "--count", ...range])).toString(
              "utf8",
            ),
          );
    return { commits, total, since: base === options.since ? "ancestor" : "diverged" };
  }

  /**
   * Fetches of one repository one at a time: two releases of a repository at once (a monorepo's
   * apps released together) would race on the mirror's creation and on git's lock files.
   */
  async #oneAtATime<T>(repository: string, work: () => Promise<T>): Promise<T> {
    // One mirror serves every token of a repository, so its URL without them is the key.
    const key = displayRepository(repository);
    const before = this.#fetching.get(key) ?? Promise.resolve();
    const run = before.then(work, work);
    const settled = run.catch(() => undefined);
    this.#fetching.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.#fetching.get(key) === settled) this.#fetching.delete(key);
    }
  }

  /** The mirror holding `commit`, once `repository` (this URL, these credentials) has read it. */
  #fetched(repository: string, commit: string): Promise<string> {
    return this.#oneAtATime(repository, () => this.#fetchIfMissing(repository, commit));
  }

  /**
   * A mirror is shared by every URL of its repository, whatever token each carries. A commit
   * another URL fetched is served to this one only after this URL has itself fetched from the
   * remote: a URL without a token, or with one the remote refuses, reads nothing that a team's
   * token brought in. The URLs that did are kept as digests in the mirror (`slipway-readers`).
   */
  async #fetchIfMissing(repository: string, commit: string): Promise<string> {
    const mirror = await this.#mirror(repository);
    const reader = createHash("sha256").update(repository).digest("hex");
    const readers = join(mirror, "slipway-readers");
    const known = (await readFile(readers, "utf8").catch(() => "")).split("\n").includes(reader);
    if (!known || !(await this.#hasCommit(mirror, commit))) {
      // Branches and tags first (incremental, cheap after the first time); then the commit itself,
      // for one that no branch reaches any more (servers that allow fetching by id).
      await this.#fetch(mirror, repository, ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]);
      if (!(await this.#hasCommit(mirror, commit))) {
        await this.#fetch(mirror, repository, [commit]).catch(() => undefined);
      }
      if (!(await this.#hasCommit(mirror, commit))) {
        throw new SlipwayError(
          ErrorCode.NotFound,
          `commit ${commit} does not exist in ${displayRepository(repository)}: push it first, or check the id`,
          { details: { repository: displayRepository(repository), commit } },
        );
      }
    }
    if (!known) await rememberReader(readers, reader);
    return mirror;
  }

  /**
   * The regular files under `dir` (a directory in the repository, "" for its root) at `commit`,
   * which `fetchCommit` must have fetched. A symlink is refused by name; a submodule is skipped.
   */
  async readTree(repository: string, commit: string, dir: string): Promise<SourceFile[]> {
    checkRepository(repository, this.#allowLocal);
    if (!commitSha.test(commit))
      throw new SlipwayError(ErrorCode.Input, `"${commit}" is not a full commit id`);
    const prefix = normalizeDir(dir);
    const mirror = await this.#fetched(repository, commit);
    const listing = await this.#git(mirror, [
      "ls-tree",
      "-r",
      "-z",
      "-l",
      "--full-tree",
      commit,
      "--",
      prefix || ".",
    ]);
    const entries: { path: string; object: string; size: number }[] = [];
    let total = 0;
    for (const line of listing.toString("utf8").split("\0")) {
      if (line === "") continue;
      const tab = line.indexOf("\t");
      const [mode = "", type = "", object = "", size = ""] = line.slice(0, tab).split(/\s+/);
      const path = line.slice(tab + 1);
      if (prefix !== "" && path !== prefix && !path.startsWith(`${prefix}/`)) continue;
      const relative = prefix === "" ? path : path.slice(prefix.length + 1);
      if (type === "commit") continue; // a submodule: never fetched, never read
      if (mode === "120000") {
        throw new SlipwayError(
          ErrorCode.Input,
          `${path} at commit ${commit.slice(0, 12)} is a symbolic link; Slipway reads only regular files from a repository: commit the file itself`,
          { details: { path, commit } },
        );
      }
      const bytes = Number(size);
      if (bytes > this.#limits.maxFileBytes) {
        throw tooLarge(
          `${path} at commit ${commit.slice(0, 12)} is ${bytes} bytes`,
          this.#limits.maxFileBytes,
        );
      }
      total += bytes;
      if (total > this.#limits.maxTotalBytes) {
        throw tooLarge(
          `the files under ${prefix || "the repository root"} add up to more`,
          this.#limits.maxTotalBytes,
        );
      }
      entries.push({ path: relative, object, size: bytes });
      if (entries.length > this.#limits.maxFiles) {
        throw new SlipwayError(
          ErrorCode.TooLarge,
          `more than ${this.#limits.maxFiles} files under ${prefix || "the repository root"} at commit ${commit.slice(0, 12)}: point --path at the app's directory`,
        );
      }
    }
    return this.#blobs(mirror, entries);
  }

  /**
   * The named files (paths from the repository's root) at `commit`, which `fetchCommit` must have
   * fetched; a path that does not exist at the commit is absent from the answer. Only those files
   * are read, however large the repository. Each path is looked up in its directory's tree, so no
   * pathspec magic applies and a symbolic link on any component is never followed: a link as the
   * file is refused by name, a link as a directory makes the path absent.
   */
  async readFiles(
    repository: string,
    commit: string,
    paths: readonly string[],
  ): Promise<Map<string, Buffer>> {
    checkRepository(repository, this.#allowLocal);
    if (!commitSha.test(commit))
      throw new SlipwayError(ErrorCode.Input, `"${commit}" is not a full commit id`);
    const mirror = await this.#fetched(repository, commit);
    const byDir = new Map<string, string[]>();
    for (const path of paths) {
      const normalized = normalizeDir(path);
      if (normalized === "") throw new SlipwayError(ErrorCode.Input, `"${path}" names no file`);
      const slash = normalized.lastIndexOf("/");
      const dir = slash === -1 ? "" : normalized.slice(0, slash);
      byDir.set(dir, [...(byDir.get(dir) ?? []), normalized]);
    }
    const entries: { path: string; object: string; size: number }[] = [];
    let total = 0;
    for (const [dir, wanted] of byDir) {
      // `<commit>:<dir>` names the directory's tree; a missing directory (or one that is a file or a
      // link) is not a tree, and its files are simply not there.
      const listing = await this.#git(mirror, ["ls-tree", "-z", "-l", `${commit}:${dir}`], "", [0, 128]);
      for (const line of listing.toString("utf8").split("\0")) {
        if (line === "") continue;
        const tab = line.indexOf("\t");
        const [mode = "", type = "", object = "", size = ""] = line.slice(0, tab).split(/\s+/);
        const path = dir === "" ? line.slice(tab + 1) : `${dir}/${line.slice(tab + 1)}`;
        if (!wanted.includes(path)) continue;
        if (mode === "120000") {
          throw new SlipwayError(
            ErrorCode.Input,
            `${path} at commit ${commit.slice(0, 12)} is a symbolic link; Slipway reads only regular files from a repository: commit the file itself`,
            { details: { path, commit } },
          );
        }
        if (type !== "blob") {
          throw new SlipwayError(
            ErrorCode.Input,
            `${path} at commit ${commit.slice(0, 12)} is a ${type === "tree" ? "directory" : "submodule"}, not a file`,
            { details: { path, commit } },
          );
        }
        const bytes = Number(size);
        if (bytes > this.#limits.maxFileBytes) {
          throw tooLarge(
            `${path} at commit ${commit.slice(0, 12)} is ${bytes} bytes`,
            this.#limits.maxFileBytes,
          );
        }
        total += bytes;
        if (total > this.#limits.maxTotalBytes) {
          throw tooLarge(
            `the files read at commit ${commit.slice(0, 12)} add up to more`,
            this.#limits.maxTotalBytes,
          );
        }
        entries.push({ path, object, size: bytes });
      }
    }
    const files = await this.#blobs(mirror, entries);
    return new Map(files.map((f) => [f.path, f.content]));
  }

  /** One `cat-file --batch` for all blobs: raw content, no filters, no attributes. */
  async #blobs(
    mirror: string,
    entries: readonly { path: string; object: string; size: number }[],
  ): Promise<SourceFile[]> {
    if (entries.length === 0) return [];
    const batch = await this.#git(
      mirror,
      ["cat-file", "--batch"],
      `${entries.map((e) => e.object).join("\n")}\n`,
    );
    const files: SourceFile[] = [];
    let offset = 0;
    for (const entry of entries) {
      const headerEnd = batch.indexOf(0x0a, offset);
      const header = batch.subarray(offset, headerEnd).toString("utf8");
      const size = Number(header.split(" ")[2]);
      if (!header.startsWith(entry.object) || size !== entry.size) {
        throw new SlipwayError(ErrorCode.Git, `git cat-file answered "${header}" for ${entry.path}`);
      }
      files.push({
        path: entry.path,
        content: Buffer.from(batch.subarray(headerEnd + 1, headerEnd + 1 + size)),
      });
      offset = headerEnd + 1 + size + 1;
    }
    return files;
  }

  async #mirror(repository: string): Promise<string> {
    // Keyed without the credentials a URL may carry: CI passes a fresh token each run, and each
    // would otherwise get a full mirror of its own.
    const key = createHash("sha256").update(displayRepository(repository)).digest("hex").slice(0, 32);
    const mirror = join(this.#cacheDir, `${key}.git`);
    await mkdir(this.#cacheDir, { recursive: true });
    const exists = await stat(join(mirror, "HEAD")).then(
      () => true,
      () => false,
    );
    if (!exists) await this.#git(this.#cacheDir, ["init", "--bare", "--quiet", mirror]);
    return mirror;
  }

  async #hasCommit(mirror: string, commit: string): Promise<boolean> {
    const out = await this.#git(mirror, ["cat-file", "-t", commit], "", [0, 1, 128]);
    return out.toString("utf8").trim() === "commit";
  }

  async #fetch(mirror: string, repository: string, refspecs: readonly string[]): Promise<void> {
    const watchdog = watchSize(mirror, this.#limits.maxMirrorBytes);
    try {
      await this.#git(
        mirror,
        [
          "fetch",
          "--quiet",
          "--no-tags",
          "--no-recurse-submodules",
          "--no-write-fetch-head",
          "--",
          repository,
          ...refspecs,
        ],
        "",
        [0],
        watchdog.signal,
      );
    } catch (error) {
      if (watchdog.exceeded()) {
        await rm(mirror, { recursive: true, force: true });
        throw tooLarge(
          `fetching ${displayRepository(repository)} grew its mirror past the limit`,
          this.#limits.maxMirrorBytes,
        );
      }
      throw new SlipwayError(
        ErrorCode.Git,
        `cannot read ${displayRepository(repository)}: ${(error as SlipwayError).message}`,
        { details: { repository: displayRepository(repository) }, cause: error },
      );
    } finally {
      watchdog.stop();
    }
    // A fetch faster than the watchdog's first look is measured once it is done.
    if ((await directorySize(join(mirror, "objects"))) > this.#limits.maxMirrorBytes) {
      await rm(mirror, { recursive: true, force: true });
      throw tooLarge(
        `fetching ${displayRepository(repository)} grew its mirror past the limit`,
        this.#limits.maxMirrorBytes,
      );
    }
  }

  /** Runs git hardened against the repository it reads; resolves with stdout as bytes. */
  #git(
    cwd: string,
    args: readonly string[],
    input = "",
    okExitCodes: readonly number[] = [0],
    abort?: AbortSignal,
  ): Promise<Buffer> {
    const protocols = this.#allowLocal ? "https:ssh:file" : "https:ssh";
    const hardening = [
      "-c",
      "core.hooksPath=/dev/null",
      "-c",
      "core.fsmonitor=false",
      "-c",
      "fetch.fsckObjects=true",
      "-c",
      "transfer.fsckObjects=true",
      "-c",
      "submodule.recurse=false",
      "-c",
      "protocol.allow=never",
      ...protocols.split(":").flatMap((p) => ["-c", `protocol.${p}.allow=always`]),
      "-c",
      "credential.helper=",
    ];
    return new Promise((resolve, reject) => {
      const child = spawn("git", [...hardening, ...args], {
        cwd,
        detached: true, // its own process group, so the deadline kills remote helpers too
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: this.#cacheDir,
          GIT_CONFIG_NOSYSTEM: "1",
          GIT_CONFIG_GLOBAL: "/dev/null",
          GIT_TERMINAL_PROMPT: "0",
          GIT_ASKPASS: "/bin/false",
          SSH_ASKPASS: "/bin/false",
          GIT_SSH_COMMAND: "ssh -o BatchMode=yes",
          GIT_LFS_SKIP_SMUDGE: "1",
          GIT_PROTOCOL_FROM_USER: "0",
          GIT_ALLOW_PROTOCOL: protocols,
          LC_ALL: "C",
        },
        stdio: ["pipe", "pipe", "pipe"],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let killedBy: string | undefined;
      const kill = (why: string) => {
        killedBy = why;
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(
        () => kill(`no answer within ${this.#limits.timeoutMs / 1000} s`),
        this.#limits.timeoutMs,
      );
      abort?.addEventListener("abort", () => kill("stopped"));
      child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
      child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
      child.stdin.on("error", () => undefined);
      child.stdin.end(input);
      child.on("error", (error) => {
        clearTimeout(timer);
        reject(new SlipwayError(ErrorCode.Git, `cannot run git: ${error.message}`, { cause: error }));
      });
      child.on("close", (exitCode) => {
        clearTimeout(timer);
        if (killedBy === undefined && exitCode !== null && okExitCodes.includes(exitCode)) {
          resolve(Buffer.concat(out));
          return;
        }
        const stderr = redactUrls(
          Buffer.concat(err)
            .toString("utf8")
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => l !== "")
            .join(" ")
            .slice(0, 600),
        );
        reject(
          new SlipwayError(
            ErrorCode.Git,
            `git ${args[0]} ${killedBy ?? `failed (exit ${exitCode})`}${stderr ? `: ${stderr}` : ""}`,
          ),
        );
      });
    });
  }
}

function checkRepository(repository: string, allowLocal: boolean): void {
  if (remoteUrl.test(repository) && !repository.startsWith("-")) return;
  if (allowLocal && (isAbsolute(repository) || repository.startsWith("file:///"))) return;
  throw new SlipwayError(
    ErrorCode.Input,
    `repository "${displayRepository(repository)}" is not one Slipway reads: give an https:// or ssh:// URL${
      allowLocal ? " or an absolute local path" : ""
    }`,
  );
}

/** Keeps the last 1,000 URLs that read a mirror (CI tokens change each job). */
async function rememberReader(file: string, reader: string): Promise<void> {
  const lines = (await readFile(file, "utf8").catch(() => "")).split("\n").filter(Boolean);
  if (lines.length < 1000) return appendFile(file, `${reader}\n`);
  await writeFile(file, `${[...lines.slice(-999), reader].join("\n")}\n`);
}

/** A repository URL without the password or token a user may have put in it. */
export function displayRepository(repository: string): string {
  return repository.replace(/^(https?:\/\/)[^/@]*@/, "$1");
}

function redactUrls(text: string): string {
  return text.replace(/(https?:\/\/)[^/@\s']*@/g, "$1");
}

/**
 * A commit's time as ISO 8601 in UTC, from git's seconds since the epoch (`%at`, `%ct`): the
 * instant, whatever time zone the commit was written in. Git takes zones and years no ISO time
 * holds (`+9959`, the year 11000); one such commit in a range must not stop every release after
 * it, so the other of the commit's two times stands in, and with neither usable the commit is named.
 */
function commitTime(commit: string, seconds: string, otherSeconds: string): string {
  for (const text of [seconds, otherSeconds]) {
    const ms = Number(text) * 1000;
    if (/^\d+$/.test(text) && ms <= Date.UTC(9999, 11, 31, 23, 59, 59)) return new Date(ms).toISOString();
  }
  throw new SlipwayError(
    ErrorCode.Input,
    `commit ${commit} has no author or committer time Slipway can record (${seconds}, ${otherSeconds} seconds since 1970)`,
    { details: { commit } },
  );
}

function normalizeDir(dir: string): string {
  const parts = dir.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.some((p) => p === ".." || p === ".git")) {
    throw new SlipwayError(
      ErrorCode.Input,
      `path "${dir}" must be a directory inside the repository, without ".." or ".git"`,
    );
  }
  return parts.join("/");
}

function tooLarge(what: string, limit: number): SlipwayError {
  return new SlipwayError(ErrorCode.TooLarge, `${what}: the limit is ${limit} bytes`, { details: { limit } });
}

/** Polls a mirror's size during a fetch and aborts when it passes `limit`. */
function watchSize(
  dir: string,
  limit: number,
): { signal: AbortSignal; exceeded: () => boolean; stop: () => void } {
  const controller = new AbortController();
  let over = false;
  const timer = setInterval(() => {
    void directorySize(join(dir, "objects")).then((bytes) => {
      if (bytes > limit && !over) {
        over = true;
        controller.abort();
      }
    });
  }, 200);
  return { signal: controller.signal, exceeded: () => over, stop: () => clearInterval(timer) };
}

async function directorySize(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    total += await stat(join(entry.parentPath, entry.name)).then(
      (s) => s.size,
      () => 0,
    );
  }
  return total;
}
