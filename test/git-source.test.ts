/**
 * Reading an app's files from an untrusted repository at one commit, with the real `git`: what a
 * hostile repository tries (symlinks, submodules, filters, `.git` paths, huge files, a remote that
 * never answers, the `ext::` transport) ends in a clear refusal, and nothing runs.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ErrorCode, isSlipwayError } from "../src/core/errors.ts";
import { GitSource } from "../src/source/git-source.ts";
import { git } from "./support/release-repos.ts";

function temp(name: string): string {
  return mkdtempSync(join(tmpdir(), `slipway-source-${name}-`));
}

/** An app repository with the app in apps/cart, committed; returns its path and the commit. */
function appRepository(): { repo: string; commit: string } {
  const repo = temp("repo");
  git(repo, "init", "-q", "-b", "main");
  mkdirSync(join(repo, "apps/cart/secrets"), { recursive: true });
  mkdirSync(join(repo, "apps/cart-other"), { recursive: true });
  writeFileSync(join(repo, "apps/cart/slipway.yaml"), "name: cart\n");
  writeFileSync(join(repo, "apps/cart/secrets/develop.enc.yaml"), "password: ENC[...]\n");
  writeFileSync(join(repo, "apps/cart-other/slipway.yaml"), "name: cart-other\n");
  writeFileSync(join(repo, "README.md"), "shop\n");
  git(repo, "add", ".");
  git(repo, "commit", "-q", "-m", "cart: first release\n\nwith a body");
  return { repo, commit: git(repo, "rev-parse", "HEAD") };
}

function source(options: Partial<ConstructorParameters<typeof GitSource>[0]> = {}): GitSource {
  return new GitSource({ cacheDir: temp("cache"), allowLocal: true, ...options });
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isSlipwayError(error), `expected a SlipwayError, got ${String(error)}`);
    return { code: error.code, message: error.message };
  }
  assert.fail("expected a refusal");
}

test("reads the app's files at the commit, with the commit's author, times and message", async () => {
  const { repo, commit } = appRepository();
  const reader = source();
  const info = await reader.fetchCommit(repo, commit);
  assert.deepEqual(info, {
    commit,
    authorName: "Ada Author",
    authorEmail: "ada@example.test",
    authoredAt: "2026-11-30T10:00:00.000Z",
    committedAt: "2026-11-30T10:05:00.000Z",
    message: "cart: first release\n\nwith a body",
  });
  const files = await reader.readTree(repo, commit, "apps/cart");
  assert.deepEqual(
    files.map((f) => [f.path, f.content.toString("utf8")]),
    [
      ["secrets/develop.enc.yaml", "password: ENC[...]\n"],
      ["slipway.yaml", "name: cart\n"],
    ],
    "only apps/cart, not its neighbour apps/cart-other",
  );
});

test("a later commit is fetched into the same mirror, and the earlier commit still reads as it was", async () => {
  const { repo, commit: first } = appRepository();
  const cacheDir = temp("cache");
  const reader = source({ cacheDir });
  await reader.fetchCommit(repo, first);
  writeFileSync(join(repo, "apps/cart/slipway.yaml"), "name: cart\nteam: commerce\n");
  git(repo, "commit", "-q", "-am", "cart: team");
  const second = git(repo, "rev-parse", "HEAD");
  await reader.fetchCommit(repo, second);
  assert.equal(readdirSync(cacheDir).length, 1, "one mirror per repository");
  const at = async (commit: string) =>
    (await reader.readTree(repo, commit, "apps/cart"))
      .find((f) => f.path === "slipway.yaml")
      ?.content.toString();
  assert.equal(await at(first), "name: cart\n");
  assert.equal(await at(second), "name: cart\nteam: commerce\n");
});

test("releases of one repository read at once (a monorepo's apps released together) each get their commit", async () => {
  const { repo, commit: first } = appRepository();
  writeFileSync(join(repo, "apps/cart-other/slipway.yaml"), "name: cart-other\nteam: commerce\n");
  git(repo, "commit", "-q", "-am", "cart-other: team");
  const second = git(repo, "rev-parse", "HEAD");
  const cacheDir = temp("cache");
  const reader = source({ cacheDir });
  const commits = [first, second, first, second, first, second];
  const infos = await Promise.all(commits.map((commit) => reader.fetchCommit(repo, commit)));
  assert.deepEqual(
    infos.map((i) => i.commit),
    commits,
  );
  assert.equal(readdirSync(cacheDir).length, 1, "one mirror per repository");
});

test("a commit that does not exist is refused, naming the repository and the commit", async () => {
  const { repo } = appRepository();
  const missing = "0123456789abcdef0123456789abcdef01234567";
  const { code, message } = await refusal(source().fetchCommit(repo, missing));
  assert.equal(code, ErrorCode.NotFound);
  assert.match(message, new RegExp(`commit ${missing} does not exist in ${repo}`));
  const short = await refusal(source().fetchCommit(repo, "abc123"));
  assert.equal(short.code, ErrorCode.Input);
  assert.match(short.message, /not a full commit id/);
});

test("a repository that cannot be read says which and why, without the credentials in its URL", async () => {
  const gone = join(temp("gone"), "nothing-here");
  const local = await refusal(source().fetchCommit(gone, "0".repeat(40)));
  assert.equal(local.code, ErrorCode.Git);
  assert.match(
    local.message,
    new RegExp(`cannot read ${gone}: .*(does not appear to be a git repository|not found)`, "s"),
  );

  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const remote = await refusal(
      source().fetchCommit(`https://ci:s3cr3t-token@127.0.0.1:${port}/shop.git`, "0".repeat(40)),
    );
    assert.equal(remote.code, ErrorCode.Git);
    assert.match(remote.message, new RegExp(`cannot read https://127.0.0.1:${port}/shop.git`));
    assert.doesNotMatch(remote.message, /s3cr3t-token/);
  } finally {
    server.close();
  }
});

test("a remote that never answers is given up at the deadline", async () => {
  const sockets: import("node:net").Socket[] = [];
  const server = createServer((socket) => sockets.push(socket)); // accepts, never speaks
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const started = Date.now();
  try {
    const { code, message } = await refusal(
      source({ limits: { timeoutMs: 1_500 } }).fetchCommit(
        `https://127.0.0.1:${port}/shop.git`,
        "0".repeat(40),
      ),
    );
    assert.equal(code, ErrorCode.Git);
    assert.match(message, /no answer within 1\.5 s/);
    assert.ok(Date.now() - started < 6_000, `gave up after ${Date.now() - started} ms`);
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});

test("transports that run commands, and local paths on a server, are refused before git runs", async () => {
  const marker = join(temp("marker"), "pwned");
  for (const repository of [
    `ext::sh -c touch% ${marker}`,
    "--upload-pack=touch /tmp/x",
    "http://plain.example/shop.git",
  ]) {
    const { code } = await refusal(source().fetchCommit(repository, "0".repeat(40)));
    assert.equal(code, ErrorCode.Input, repository);
  }
  const { repo, commit } = appRepository();
  const server = await refusal(source({ allowLocal: false }).fetchCommit(repo, commit));
  assert.equal(server.code, ErrorCode.Input);
  assert.match(server.message, /give an https:\/\/ or ssh:\/\/ URL/);
  assert.equal(existsSync(marker), false);
});

test("a symlink in the app's tree is refused by name; a submodule is neither fetched nor read", async () => {
  const { repo } = appRepository();
  symlinkSync("/etc/shadow", join(repo, "apps/cart/secrets/stable.enc.yaml"));
  git(repo, "add", ".");
  git(repo, "commit", "-q", "-m", "link");
  const linked = git(repo, "rev-parse", "HEAD");
  const reader = source();
  await reader.fetchCommit(repo, linked);
  const { code, message } = await refusal(reader.readTree(repo, linked, "apps/cart"));
  assert.equal(code, ErrorCode.Input);
  assert.match(message, /apps\/cart\/secrets\/stable\.enc\.yaml at commit [0-9a-f]{12} is a symbolic link/);

  git(repo, "rm", "-q", "apps/cart/secrets/stable.enc.yaml");
  // A gitlink pointing at a commit no server has: reading must not try to fetch it.
  git(repo, "update-index", "--add", "--cacheinfo", `160000,${"e".repeat(40)},apps/cart/vendor`);
  git(repo, "commit", "-q", "-m", "submodule");
  const withSubmodule = git(repo, "rev-parse", "HEAD");
  await reader.fetchCommit(repo, withSubmodule);
  const files = await reader.readTree(repo, withSubmodule, "apps/cart");
  assert.deepEqual(
    files.map((f) => f.path),
    ["secrets/develop.enc.yaml", "slipway.yaml"],
  );
});

test("filters never run: an LFS pointer reads as the pointer, a smudge filter in git's config stays idle", async () => {
  const { repo } = appRepository();
  const pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n";
  writeFileSync(join(repo, "apps/cart/.gitattributes"), "* filter=lfs diff=lfs merge=lfs\n");
  writeFileSync(join(repo, "apps/cart/model.bin"), pointer);
  git(repo, "add", ".");
  git(repo, "commit", "-q", "-m", "lfs");
  const commit = git(repo, "rev-parse", "HEAD");
  // An operator's global config with a filter that would leave a trace if anything ran it.
  const home = temp("home");
  const marker = join(home, "smudged");
  writeFileSync(join(home, ".gitconfig"), `[filter "lfs"]\n\tsmudge = touch ${marker}\n\trequired = true\n`);
  const previousHome = process.env.HOME;
  process.env.HOME = home;
  try {
    const reader = source();
    await reader.fetchCommit(repo, commit);
    const files = await reader.readTree(repo, commit, "apps/cart");
    assert.equal(files.find((f) => f.path === "model.bin")?.content.toString(), pointer);
  } finally {
    process.env.HOME = previousHome;
  }
  assert.equal(existsSync(marker), false);
});

test("a tree with a .git path is refused at fetch (objects are checked)", async () => {
  const repo = temp("evil");
  git(repo, "init", "-q", "-b", "main");
  const blob = execFileSync("git", ["hash-object", "-w", "--stdin"], { cwd: repo, input: "[core]\n" })
    .toString()
    .trim();
  const inner = execFileSync("git", ["mktree"], { cwd: repo, input: `100644 blob ${blob}\tconfig\n` })
    .toString()
    .trim();
  const outer = execFileSync("git", ["mktree"], { cwd: repo, input: `040000 tree ${inner}\t.git\n` })
    .toString()
    .trim();
  const commit = git(repo, "commit-tree", outer, "-m", "evil");
  git(repo, "update-ref", "refs/heads/main", commit);
  const { code, message } = await refusal(source().fetchCommit(repo, commit));
  assert.equal(code, ErrorCode.Git);
  assert.match(message, /hasDotgit|fsck/);
});

test("size limits: one file, the files of one read, and the mirror a fetch may grow to", async () => {
  const { repo } = appRepository();
  writeFileSync(join(repo, "apps/cart/huge.json"), randomBytes(300_000).toString("base64"));
  git(repo, "add", ".");
  git(repo, "commit", "-q", "-m", "huge");
  const commit = git(repo, "rev-parse", "HEAD");

  const perFile = source({ limits: { maxFileBytes: 100_000 } });
  await perFile.fetchCommit(repo, commit);
  const one = await refusal(perFile.readTree(repo, commit, "apps/cart"));
  assert.equal(one.code, ErrorCode.TooLarge);
  assert.match(
    one.message,
    /apps\/cart\/huge\.json at commit [0-9a-f]{12} is 400000 bytes: the limit is 100000 bytes/,
  );

  const cacheDir = temp("cache");
  const mirror = source({ cacheDir, limits: { maxMirrorBytes: 50_000 } });
  const grown = await refusal(mirror.fetchCommit(repo, commit));
  assert.equal(grown.code, ErrorCode.TooLarge);
  assert.match(grown.message, /grew its mirror past the limit/);
  assert.deepEqual(readdirSync(cacheDir), [], "the oversized mirror is not kept");
});

test("a path outside the repository is refused", async () => {
  const { repo, commit } = appRepository();
  const reader = source();
  await reader.fetchCommit(repo, commit);
  for (const path of ["../other", "apps/../../x", ".git"]) {
    const { code } = await refusal(reader.readTree(repo, commit, path));
    assert.equal(code, ErrorCode.Input, path);
  }
});

test("reads only the named files at the commit: a missing one is absent, a link is refused, a linked directory hides what is behind it", async () => {
  const { repo } = appRepository();
  mkdirSync(join(repo, "elsewhere"));
  writeFileSync(join(repo, "elsewhere/secret.yaml"), "outside\n");
  symlinkSync("../../elsewhere", join(repo, "apps/cart/linked"));
  symlinkSync("../../../README.md", join(repo, "apps/cart/secrets/readme.enc.yaml"));
  git(repo, "add", ".");
  git(repo, "commit", "-q", "-m", "links");
  const commit = git(repo, "rev-parse", "HEAD");
  const reader = source();
  await reader.fetchCommit(repo, commit);
  const files = await reader.readFiles(repo, commit, [
    "apps/cart/slipway.yaml",
    "apps/cart/secrets/develop.enc.yaml",
    "apps/cart/secrets/missing.enc.yaml",
    "apps/nowhere/x.yaml",
    "apps/cart/linked/secret.yaml",
  ]);
  assert.deepEqual(
    [...files].map(([path, content]) => [path, content.toString("utf8")]),
    [
      ["apps/cart/slipway.yaml", "name: cart\n"],
      ["apps/cart/secrets/develop.enc.yaml", "password: ENC[...]\n"],
    ],
  );
  const link = await refusal(reader.readFiles(repo, commit, ["apps/cart/secrets/readme.enc.yaml"]));
  assert.equal(link.code, ErrorCode.Input);
  assert.match(
    link.message,
    /apps\/cart\/secrets\/readme\.enc\.yaml at commit [0-9a-f]{12} is a symbolic link/,
  );
  const dir = await refusal(reader.readFiles(repo, commit, ["apps/cart/secrets"]));
  assert.match(dir.message, /apps\/cart\/secrets at commit [0-9a-f]{12} is a directory, not a file/);
  const outside = await refusal(reader.readFiles(repo, commit, ["apps/cart/../../etc/passwd"]));
  assert.match(outside.message, /without "\.\." or "\.git"/);
});

test("one mirror per repository, whatever token its URL carries", async () => {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const cacheDir = temp("cache");
  const reader = source({ cacheDir });
  try {
    for (const token of ["ci-token-1", "ci-token-2"]) {
      await refusal(reader.fetchCommit(`https://ci:${token}@127.0.0.1:${port}/shop.git`, "0".repeat(40)));
    }
  } finally {
    server.close();
  }
  assert.equal(readdirSync(cacheDir).filter((d) => d.endsWith(".git")).length, 1);
});

test("a commit another URL fetched is read only once this URL has shown it can read the repository", async () => {
  const { repo, commit } = appRepository();
  // The mirror as a release with team A's token left it: the commit is there.
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const withToken = `https://ci:team-a-token@127.0.0.1:${port}/shop.git`;
  const cacheDir = temp("cache");
  const key = createHash("sha256").update(`https://127.0.0.1:${port}/shop.git`).digest("hex").slice(0, 32);
  const mirror = join(cacheDir, `${key}.git`);
  git(cacheDir, "init", "-q", "--bare", mirror);
  git(mirror, "fetch", "-q", repo, "+refs/heads/*:refs/heads/*");
  assert.equal(git(mirror, "cat-file", "-t", commit), "commit");
  const reader = source({ cacheDir });
  try {
    // Without a token (or with one the server refuses) nothing is read from that mirror.
    for (const url of [`https://127.0.0.1:${port}/shop.git`, withToken.replace("team-a", "team-b")]) {
      const refused = await refusal(reader.fetchCommit(url, commit));
      assert.equal(refused.code, ErrorCode.Git, refused.message);
      assert.match(refused.message, /cannot read https:\/\/127\.0\.0\.1:\d+\/shop\.git/);
      await refusal(reader.readFiles(url, commit, ["apps/cart/slipway.yaml"]));
    }
  } finally {
    server.close();
  }
  assert.equal(readdirSync(cacheDir).filter((d) => d.endsWith(".git")).length, 1);
});

test("a URL that has read the repository reads its commits again while the remote is away", async () => {
  const { repo, commit } = appRepository();
  const reader = source();
  await reader.fetchCommit(repo, commit);
  execFileSync("mv", [repo, `${repo}-away`]);
  const again = await reader.fetchCommit(repo, commit);
  assert.equal(again.commit, commit);
});

test("the commits between two commits, newest first, limited to a directory, capped with the full count", async () => {
  const { repo, commit: a } = appRepository();
  const commitTouching = (path: string, message: string, date: string) => {
    writeFileSync(join(repo, path), `${message}\n`);
    git(repo, "add", ".");
    git(repo, "commit", "-q", `--date=${date}`, "-m", `${message}\n\nbody line`);
    return git(repo, "rev-parse", "HEAD");
  };
  const b = commitTouching("apps/cart/notes.txt", "cart: notes", "2026-12-01T09:00:00Z");
  const c = commitTouching("apps/cart-other/notes.txt", "other: notes", "2026-12-01T10:00:00Z");
  const d = commitTouching("apps/cart/slipway.yaml", "cart: spec", "2026-12-01T11:00:00Z");
  const reader = source();
  const all = await reader.listCommits(repo, d, { since: a, path: "", limit: 1000 });
  assert.deepEqual(
    all.commits.map((x) => [x.commit, x.subject, x.authoredAt]),
    [
      [d, "cart: spec", "2026-12-01T11:00:00.000Z"],
      [c, "other: notes", "2026-12-01T10:00:00.000Z"],
      [b, "cart: notes", "2026-12-01T09:00:00.000Z"],
    ],
  );
  assert.deepEqual([all.total, all.since], [3, "ancestor"]);
  assert.equal(all.commits[0]!.authorName, "Ada Author");
  // apps/cart is its own directory: apps/cart-other is not in it, though its name starts the same.
  const cart = await reader.listCommits(repo, d, { since: a, path: "apps/cart", limit: 1000 });
  assert.deepEqual(
    cart.commits.map((x) => x.commit),
    [d, b],
  );
  // A path is a directory name, never a glob or pathspec magic.
  const glob = await reader.listCommits(repo, d, { since: a, path: "apps/cart*", limit: 1000 });
  assert.deepEqual(glob.commits, []);
  const capped = await reader.listCommits(repo, d, { since: a, path: "", limit: 2 });
  assert.deepEqual([capped.commits.map((x) => x.commit), capped.total], [[d, c], 3]);
  // The other way round: nothing reachable from a is new after d, and d is not a's ancestor.
  const back = await reader.listCommits(repo, a, { since: d, path: "", limit: 1000 });
  assert.deepEqual([back.commits, back.total, back.since], [[], 0, "diverged"]);
  // A commit the repository never had: an empty range, said to be missing.
  const missing = await reader.listCommits(repo, d, { since: "0".repeat(40), path: "", limit: 1000 });
  assert.deepEqual([missing.commits, missing.total, missing.since], [[], 0, "missing"]);
  const refused = await refusal(reader.listCommits(repo, d, { since: "HEAD~1", path: "", limit: 10 }));
  assert.equal(refused.code, ErrorCode.Input);
});

test("a commit range across unrelated histories is empty and says so; merge commits are not in a range", async () => {
  const { repo, commit: a } = appRepository();
  const commit = (path: string, message: string) => {
    writeFileSync(join(repo, path), `${message}\n`);
    git(repo, "add", ".");
    git(repo, "commit", "-q", "-m", message);
    return git(repo, "rev-parse", "HEAD");
  };
  // A feature branch merged with a merge commit: the range holds the work, not the merge itself,
  // whether or not it is limited to a directory.
  git(repo, "checkout", "-q", "-b", "feature");
  const work = commit("apps/cart/feature.txt", "cart: the feature");
  git(repo, "checkout", "-q", "main");
  const beside = commit("apps/cart/main.txt", "cart: beside the feature");
  git(repo, "merge", "-q", "--no-ff", "-m", "Merge branch feature", "feature");
  const merge = git(repo, "rev-parse", "HEAD");
  const reader = source();
  for (const path of ["", "apps/cart"]) {
    const range = await reader.listCommits(repo, merge, { since: a, path, limit: 1000 });
    assert.deepEqual(
      [new Set(range.commits.map((c) => c.commit)), range.total, range.since],
      [new Set([work, beside]), 2, "ancestor"],
      `path "${path}"`,
    );
  }
  // The history rewritten from scratch (git filter-repo, a re-created repository): nothing of the
  // old line is an ancestor, and the new line's whole history is not what a release brings.
  git(repo, "checkout", "-q", "--orphan", "rewritten");
  commit("apps/cart/slipway.yaml", "rewritten: one");
  const rewritten = commit("apps/cart/slipway.yaml", "rewritten: two");
  const unrelated = await reader.listCommits(repo, rewritten, { since: merge, path: "", limit: 1000 });
  assert.deepEqual([unrelated.commits, unrelated.total, unrelated.since], [[], 0, "unrelated"]);
});

test("a commit whose date git accepts but no ISO time holds (a time zone of +99:59, the year 11000) reads as an instant", async () => {
  const { repo, commit: base } = appRepository();
  const tree = git(repo, "rev-parse", "HEAD^{tree}");
  // Written as the objects they are: `git commit` would not take such dates, but a fetch does.
  const commitWith = (author: string, parent: string, message: string) =>
    execFileSync("git", ["hash-object", "-t", "commit", "-w", "--stdin"], {
      cwd: repo,
      encoding: "utf8",
      input: `tree ${tree}\nparent ${parent}\nauthor Eve <eve@example.test> ${author}\ncommitter Ci <ci@example.test> 1764500000 +0000\n\n${message}\n`,
    }).trim();
  const zone = commitWith("1764496800 +9959", base, "zone: out of range");
  const far = commitWith("285000000000 +0000", zone, "year: out of range");
  git(repo, "branch", "odd", far);
  const reader = source();
  const range = await reader.listCommits(repo, far, { since: base, path: "", limit: 1000 });
  assert.deepEqual(
    range.commits.map((c) => [c.subject, c.authoredAt]),
    [
      // Past the year 9999: the committer's time stands in for the author's.
      ["year: out of range", "2025-11-30T10:53:20.000Z"],
      // The instant git recorded, whatever the zone it was written in.
      ["zone: out of range", "2025-11-30T10:00:00.000Z"],
    ],
  );
  const own = await reader.fetchCommit(repo, zone);
  assert.equal(own.authoredAt, "2025-11-30T10:00:00.000Z");
});
