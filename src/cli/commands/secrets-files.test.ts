/**
 * `slipway secrets` writes as real users meet them: several commands on one file at once (real
 * processes), a file changed underneath, a stale lock, links, read-only files and directories.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { memoryIo } from "../io.ts";
import { main } from "../main.ts";

const identity = await generateIdentity();
const recipient = await identityToRecipient(identity);
const cli = fileURLToPath(new URL("../main.ts", import.meta.url));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a separate process, as a user's shell starts it. */
function spawnCli(
  args: string[],
  cwd: string,
  options: { stdin?: string; env?: Record<string, string>; uid?: number } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: cwd, SOPS_AGE_KEY: identity, ...options.env },
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

async function run(
  argv: string[],
  cwd: string,
  options: { stdin?: string; env?: Record<string, string> } = {},
) {
  const io = memoryIo({
    cwd,
    env: { HOME: cwd, SOPS_AGE_KEY: identity, ...options.env },
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  });
  const code = await main(argv, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

async function encryptedProject(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "slipway-secrets-files-"));
  writeFileSync(join(dir, "app.yaml"), "db:\n  password: hunter2\napi_token: tok-123\nold: gone-soon\n");
  const r = await run(["secrets", "encrypt", "-i", "--age", recipient, "app.yaml"], dir);
  assert.equal(r.code, 0, r.stderr);
  return dir;
}

async function decrypted(dir: string, file = "app.yaml"): Promise<Record<string, unknown>> {
  const r = await run(["secrets", "decrypt", "--output", "json", file], dir);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const lockOf = (dir: string) => join(dir, ".app.yaml.slipway-lock");

test("concurrent set, unset and rotate in separate processes all land; none is lost", async () => {
  const dir = await encryptedProject();
  const sets = [0, 1, 2, 3, 4].map((i) =>
    spawnCli(["secrets", "set", "app.yaml", `key${i}`], dir, { stdin: `value-${i}\n` }),
  );
  const others = [
    spawnCli(["secrets", "unset", "app.yaml", "old"], dir),
    spawnCli(["secrets", "rotate", "app.yaml"], dir),
  ];
  const results = await Promise.all([...sets, ...others]);
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const data = await decrypted(dir);
  for (const i of [0, 1, 2, 3, 4])
    assert.equal(data[`key${i}`], `value-${i}`, JSON.stringify(Object.keys(data)));
  assert.equal(data.old, undefined);
  assert.deepEqual(data.db, { password: "hunter2" });
  assert.ok(!existsSync(lockOf(dir)), "the lock file was left behind");
});

test("a file changed by another program while edit runs is not overwritten; the command says so", async () => {
  const dir = await encryptedProject();
  // What sops, git or a text editor writes meanwhile (they take no lock): another valid version.
  await run(["secrets", "set", "app.yaml", "api_token"], dir, { stdin: "from-elsewhere" });
  copyFileSync(join(dir, "app.yaml"), join(dir, "elsewhere.yaml"));
  await run(["secrets", "set", "app.yaml", "api_token"], dir, { stdin: "tok-123" });
  const editor = `sh -c 'cp elsewhere.yaml app.yaml; sed -i s/gone-soon/edited/ "$0"'`;
  const r = await run(["secrets", "edit", "app.yaml"], dir, { env: { EDITOR: editor } });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /app\.yaml changed since it was read .*nothing was written/);
  assert.equal(
    readFileSync(join(dir, "app.yaml"), "utf8"),
    readFileSync(join(dir, "elsewhere.yaml"), "utf8"),
  );
  assert.equal((await decrypted(dir)).api_token, "from-elsewhere");
});

test("a lock left by a process that died is taken over; a live holder is named after the wait", async () => {
  const dir = await encryptedProject();
  const dead = spawnSync("true").pid;
  const stale = {
    pid: dead,
    host: hostname(),
    since: "2026-01-01T00:00:00Z",
    command: "secrets set",
    token: "x",
  };
  writeFileSync(lockOf(dir), JSON.stringify(stale));
  const r = await run(["secrets", "set", "app.yaml", "api_token"], dir, { stdin: "after-crash" });
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await decrypted(dir)).api_token, "after-crash");
  assert.ok(!existsSync(lockOf(dir)));

  const holder = spawn("sleep", ["30"]);
  try {
    const live = { ...stale, pid: holder.pid, command: "secrets edit", token: "y" };
    writeFileSync(lockOf(dir), JSON.stringify(live));
    const before = readFileSync(join(dir, "app.yaml"), "utf8");
    const waited = await run(["secrets", "set", "app.yaml", "api_token"], dir, {
      stdin: "blocked",
      env: { SLIPWAY_LOCK_WAIT_MS: "300" },
    });
    assert.equal(waited.code, 1);
    assert.match(
      waited.stderr,
      new RegExp(`being changed by \`slipway secrets edit\` \\(pid ${holder.pid} on `),
    );
    assert.match(waited.stderr, /remove .*\.app\.yaml\.slipway-lock if that process no longer runs/);
    assert.equal(readFileSync(join(dir, "app.yaml"), "utf8"), before);
    assert.ok(existsSync(lockOf(dir)), "another process's lock must stay");
  } finally {
    holder.kill();
  }
});

test("a symbolic link is refused with its target named; the link and the target stay as they were", async () => {
  const dir = await encryptedProject();
  symlinkSync("app.yaml", join(dir, "link.yaml"));
  const before = readFileSync(join(dir, "app.yaml"), "utf8");
  for (const argv of [
    ["secrets", "set", "link.yaml", "api_token"],
    ["secrets", "rotate", "link.yaml"],
  ]) {
    const r = await run(argv, dir, { stdin: "via-link" });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /link\.yaml is a symbolic link to .*app\.yaml; .*run the command on .*app\.yaml/);
  }
  assert.ok(lstatSync(join(dir, "link.yaml")).isSymbolicLink());
  assert.equal(readFileSync(join(dir, "app.yaml"), "utf8"), before);
  // Reading through a link is harmless and stays allowed.
  assert.equal((await decrypted(dir, "link.yaml")).api_token, "tok-123");
});

test("a read-only file is refused, not silently replaced", async () => {
  const dir = await encryptedProject();
  const file = join(dir, "app.yaml");
  chmodSync(file, 0o444);
  const before = readFileSync(file, "utf8");
  const r = await run(["secrets", "set", "app.yaml", "api_token"], dir, { stdin: "over-read-only" });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /app\.yaml is read-only \(mode 0444\); make it writable \(chmod u\+w app\.yaml\)/);
  assert.equal(readFileSync(file, "utf8"), before);
  assert.equal(lstatSync(file).mode & 0o777, 0o444);
});

test("a directory the user cannot write in gives a clear error, not a stack trace", async () => {
  const dir = await encryptedProject();
  // root writes anywhere: run the command as an unprivileged user, as a real user meets it.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chownSync(dir, 65534, 65534);
    chownSync(join(dir, "app.yaml"), 65534, 65534);
  }
  chmodSync(dir, 0o555);
  const before = readFileSync(join(dir, "app.yaml"), "utf8");
  const r = await spawnCli(["secrets", "set", "app.yaml", "api_token"], dir, {
    stdin: "nowhere",
    ...(asRoot ? { uid: 65534 } : {}),
  });
  chmodSync(dir, 0o755);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /cannot write in the directory of app\.yaml \(EACCES\).*make the directory writable/,
  );
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  assert.equal(readFileSync(join(dir, "app.yaml"), "utf8"), before);
});

test("a failed command releases its lock", async () => {
  const dir = await encryptedProject();
  const other = await generateIdentity();
  const r = await run(["secrets", "rotate", "app.yaml"], dir, { env: { SOPS_AGE_KEY: other } });
  assert.equal(r.code, 1);
  assert.ok(!existsSync(lockOf(dir)));
});
