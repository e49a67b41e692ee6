/**
 * `slipway deploy` to a GitOps repository while its remote is unreachable or refuses the push, and
 * while its disk is full (a 1 MB tmpfs): what the person deploying is told, that the commit is
 * kept and pushed by the next deploy, and that a full disk leaves no half-written file and a
 * consistent repository. Figures are printed as `figure:` lines (`npm run bench -- faults`).
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { memoryIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";

const image = (hex: string) => `registry.example.com/finance/rates-api@sha256:${hex.repeat(64)}`;

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd: dir,
    encoding: "utf8",
    // Without optional locks `git status` only reads: the witness must work on a full disk too.
    env: { ...process.env, LC_ALL: "C", GIT_OPTIONAL_LOCKS: "0" },
  }).trim();
}

/** rates-api, a platform whose develop channel is a GitOps checkout at `checkout` with `remote`. */
function workspace(checkout?: string, withRemote = true) {
  const dir = mkdtempSync(join(tmpdir(), "slipway-faults-gitops-"));
  const app = join(dir, "rates-api");
  cpSync(join(import.meta.dirname, "../examples/rates-api"), app, { recursive: true });
  const remote = join(dir, "gitops.git");
  if (withRemote) execFileSync("git", ["init", "-q", "--bare", "-b", "main", remote]);
  const repo = checkout ?? join(dir, "gitops");
  const platform = join(dir, "slipway.platform.yaml");
  writeFileSync(
    platform,
    [
      "apiVersion: slipway.dev/v1",
      "kind: Platform",
      "clusters:",
      `  - name: local`,
      `    gitops: { directory: ${JSON.stringify(repo)}${withRemote ? `, remote: ${JSON.stringify(remote)}` : ""}, branch: main }`,
      "channels:",
      "  - { name: develop, cluster: local, domain: develop.example.com }",
      "teams:",
      "  - name: finance",
      "",
    ].join("\n"),
  );
  return { dir, app, platform, remote, checkout: repo };
}

async function deploy(ws: { app: string; platform: string }, hex: string) {
  const io = memoryIo();
  const started = Date.now();
  const code = await main(
    [
      "deploy",
      "--app",
      ws.app,
      "--target",
      "develop",
      "--platform",
      ws.platform,
      "--image",
      image(hex),
      "--commit",
      "0123456789abcdef0123456789abcdef01234567",
    ],
    io,
  );
  return { code, stdout: io.stdout(), stderr: io.stderr(), ms: Date.now() - started };
}

const remoteImage = (remote: string) =>
  /image: (\S+)/.exec(git(remote, "show", "main:develop/rates-api/deployment-rates-api.yaml"))?.[1];

test("the remote unreachable: the commit is kept in the checkout, the error says so, and the next deploy pushes it", async (t) => {
  const ws = workspace();
  assert.equal((await deploy(ws, "a")).code, 0);
  renameSync(ws.remote, `${ws.remote}.away`);
  const failed = await deploy(ws, "b");
  assert.equal(failed.code, 1, failed.stdout);
  assert.match(failed.stderr, /could not be reached/);
  assert.match(failed.stderr, /The commit stays in the checkout; the next deploy pushes it\./);
  assert.match(git(ws.checkout, "log", "-1", "--format=%s"), /^deploy rates-api to develop: .*@sha256:b{64}/);
  assert.equal(git(ws.checkout, "status", "--porcelain"), "", "nothing half-done in the checkout");

  renameSync(`${ws.remote}.away`, ws.remote);
  const back = Date.now();
  const next = await deploy(ws, "b");
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stdout, /note: pushed 1 earlier commit\(s\) that had not reached the remote yet/);
  assert.equal(git(ws.remote, "rev-parse", "main"), git(ws.checkout, "rev-parse", "HEAD"));
  assert.equal(remoteImage(ws.remote), image("b"));
  t.diagnostic(
    `figure: GitOps remote unreachable: detect=${(failed.ms / 1000).toFixed(1)}s recover=${((Date.now() - back) / 1000).toFixed(1)}s`,
  );
});

test("the remote rejecting the push: the commit is kept, the error quotes the remote, and the next deploy pushes it", async (t) => {
  const ws = workspace();
  assert.equal((await deploy(ws, "a")).code, 0);
  const hook = join(ws.remote, "hooks", "pre-receive");
  writeFileSync(hook, "#!/bin/sh\necho 'pushes to main are frozen for the release' >&2\nexit 1\n");
  chmodSync(hook, 0o755);
  const failed = await deploy(ws, "c");
  assert.equal(failed.code, 1, failed.stdout);
  assert.match(failed.stderr, /pushes to main are frozen for the release/);
  assert.match(failed.stderr, /pre-receive hook declined/);
  assert.match(failed.stderr, /The commit stays in the checkout; the next deploy pushes it\./);
  assert.equal(remoteImage(ws.remote), image("a"), "the remote kept what it had");

  rmSync(hook);
  const back = Date.now();
  const next = await deploy(ws, "c");
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stdout, /note: pushed 1 earlier commit\(s\)/);
  assert.equal(remoteImage(ws.remote), image("c"));
  t.diagnostic(
    `figure: GitOps remote rejecting the push: detect=${(failed.ms / 1000).toFixed(1)}s recover=${((Date.now() - back) / 1000).toFixed(1)}s`,
  );
});

/** A 1 MB tmpfs (root, or passwordless sudo, as in CI): a disk that fills up. */
function smallDisk(dir: string): string {
  const mount = join(dir, "disk");
  mkdirSync(mount);
  const args = ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mount];
  const asRoot = process.getuid?.() === 0;
  const res = spawnSync(asRoot ? "mount" : "sudo", asRoot ? args : ["-n", "mount", ...args], {
    encoding: "utf8",
  });
  if (res.status !== 0) {
    throw new Error(
      `the full-disk test mounts a 1 MB tmpfs, which needs root or passwordless sudo: ${res.stderr || res.error}`,
    );
  }
  after(() => {
    spawnSync(asRoot ? "umount" : "sudo", asRoot ? ["-l", mount] : ["-n", "umount", "-l", mount]);
  });
  return mount;
}

/** Fills the file system holding `dir` to the last byte. */
function fill(dir: string): string {
  const file = join(dir, "filler");
  const fd = openSync(file, "w");
  const block = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  }
  // The last bytes too, smaller than a block.
  try {
    for (;;) writeSync(fd, Buffer.alloc(1, 1));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  }
  closeSync(fd);
  return file;
}

test("the GitOps directory on a full disk: the error says no space, no file is half-written, the repository stays consistent", async (t) => {
  const base = mkdtempSync(join(tmpdir(), "slipway-faults-disk-"));
  const disk = smallDisk(base);
  const ws = workspace(join(disk, "gitops"), false);
  assert.equal((await deploy(ws, "a")).code, 0);
  const filler = fill(disk);
  const size = statSync(filler).size;
  // The disk fills at a different step each time: the lock, the note, the files, git's objects.
  const outcomes: string[] = [];
  let detectMs = 0;
  for (const [i, freePages] of [0, 1, 2, 3, 4, 6, 8, 12].entries()) {
    truncateSync(filler, size - freePages * 4096);
    const head = git(ws.checkout, "rev-parse", "HEAD");
    const hex = "bcdef0123"[i] as string;
    const run = await deploy(ws, hex);
    assert.equal(
      git(ws.checkout, "status", "--porcelain"),
      "",
      `${freePages} pages free: the checkout is clean`,
    );
    assert.equal(spawnSync("git", ["fsck", "--no-progress"], { cwd: ws.checkout }).status, 0, "git fsck");
    assert.deepEqual(leftovers(ws.checkout), [], "no half-written or temporary file anywhere");
    if (run.code === 0) {
      outcomes.push(`${freePages}: deployed`);
      assert.match(git(ws.checkout, "log", "-1", "--format=%s"), new RegExp(`@sha256:${hex}{64}`));
      continue;
    }
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /^error: no space left on the device holding the GitOps checkout /m);
    assert.match(run.stderr, /nothing was committed, and the checkout is as it was at its last commit/);
    assert.doesNotMatch(run.stderr, /internal error|\n\s+at /);
    assert.equal(git(ws.checkout, "rev-parse", "HEAD"), head, "no commit");
    outcomes.push(`${freePages}: no space`);
    detectMs = Math.max(detectMs, run.ms);
  }
  assert.ok(
    outcomes.some((o) => o.endsWith("no space")),
    outcomes.join(", "),
  );
  t.diagnostic(`outcomes by free 4 KiB pages: ${outcomes.join(", ")}`);

  rmSync(filler);
  const freed = Date.now();
  const next = await deploy(ws, "f");
  assert.equal(next.code, 0, next.stderr);
  assert.match(git(ws.checkout, "log", "-1", "--format=%s"), /@sha256:f{64}/);
  t.diagnostic(
    `figure: GitOps disk full: detect=${(detectMs / 1000).toFixed(1)}s recover=${((Date.now() - freed) / 1000).toFixed(1)}s`,
  );
});

/** Files a failed write could leave: Slipway's staged files and notes, git's locks. */
function leftovers(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter(
    (f) => f.endsWith(".tmp") || f.endsWith(".lock") || f.endsWith("slipway-deploy-pending.json"),
  );
}

test("a deadline that is not a duration is refused before anything is rendered or written", async () => {
  const ws = workspace();
  const io = memoryIo();
  const code = await main(
    [
      "deploy",
      "--app",
      ws.app,
      "--target",
      "develop",
      "--platform",
      ws.platform,
      "--image",
      image("a"),
      "--apply-timeout",
      "soon",
    ],
    io,
  );
  assert.equal(code, 2);
  assert.match(
    io.stderr(),
    /^error: --apply-timeout soon must be a duration from 1s to 24h, such as 90s, 15m or 1h$/m,
  );
});
