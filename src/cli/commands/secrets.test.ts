/** `slipway secrets` as a user runs it, in-process: what reaches stdout, the files, the exit codes. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { peerPath } from "../../testing/peers.ts";
import { memoryIo } from "../io.ts";
import { main } from "../main.ts";

const identity = await generateIdentity();
const recipient = await identityToRecipient(identity);
const second = await generateIdentity();
const secondRecipient = await identityToRecipient(second);

async function run(
  argv: string[],
  cwd: string,
  options: { stdin?: string; env?: Record<string, string>; key?: string } = {},
) {
  const io = memoryIo({
    cwd,
    env: { HOME: cwd, SOPS_AGE_KEY: options.key ?? identity, ...options.env },
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  });
  const code = await main(argv, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

const plain = "# app secrets\ndb:\n  user: admin\n  password: hunter2\napi_token: tok-123\nport: 5432\n";

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-secrets-cli-"));
  writeFileSync(join(dir, "app.yaml"), plain);
  return dir;
}

async function encrypted(dir: string): Promise<string> {
  const r = await run(["secrets", "encrypt", "-i", "--age", recipient, "app.yaml"], dir);
  assert.equal(r.code, 0, r.stderr);
  return readFileSync(join(dir, "app.yaml"), "utf8");
}

/** Keys of the lines that differ between two versions (a crude `git diff`); lastmodified may tick. */
function changedLines(a: string, b: string): string[] {
  const left = a.split("\n");
  const right = b.split("\n");
  assert.equal(left.length, right.length);
  return right
    .filter((line, i) => line !== left[i])
    .map((l) => l.trim().split(":")[0] as string)
    .filter((k) => k !== "lastmodified");
}

test("encrypt then decrypt gives back the plaintext, comments and order included", async () => {
  const dir = project();
  const text = await encrypted(dir);
  assert.ok(!text.includes("hunter2") && !text.includes("tok-123"));
  const r = await run(["secrets", "decrypt", "app.yaml"], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, plain.replace(/^ {2}/gm, "    "));
  const one = await run(["secrets", "decrypt", "--extract", '["db"]["password"]', "app.yaml"], dir);
  assert.equal(one.stdout, "hunter2");
  const asJson = await run(["secrets", "decrypt", "--output", "json", "app.yaml"], dir);
  assert.deepEqual(JSON.parse(asJson.stdout), {
    db: { user: "admin", password: "hunter2" },
    api_token: "tok-123",
    port: 5432,
  });
});

test("set reads the value from stdin and changes only that key's line (plus the MAC)", async () => {
  const dir = project();
  const before = await encrypted(dir);
  const r = await run(["secrets", "set", "app.yaml", "db.password"], dir, { stdin: "correct horse\n" });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stderr.includes("correct horse"));
  const after = readFileSync(join(dir, "app.yaml"), "utf8");
  assert.deepEqual(changedLines(before, after).sort(), ["mac", "password"]);
  assert.equal(
    (await run(["secrets", "decrypt", "--extract", "db.password", "app.yaml"], dir)).stdout,
    "correct horse",
  );
  await run(["secrets", "set", "app.yaml", "db.host"], dir, { stdin: "db.internal" });
  assert.equal(
    (await run(["secrets", "decrypt", "--extract", "db.host", "app.yaml"], dir)).stdout,
    "db.internal",
  );
});

test("set on a file the real sops wrote changes only that key's line (plus the MAC)", async () => {
  const dir = project();
  writeFileSync(join(dir, "keys.txt"), `${identity}\n`);
  const bySops = spawnSync(peerPath("sops"), ["encrypt", "--age", recipient, "app.yaml"], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: dir, SOPS_AGE_KEY_FILE: join(dir, "keys.txt") },
  });
  assert.equal(bySops.status, 0, bySops.stderr);
  writeFileSync(join(dir, "app.yaml"), bySops.stdout);
  const r = await run(["secrets", "set", "app.yaml", "api_token"], dir, { stdin: "tok-999\n" });
  assert.equal(r.code, 0, r.stderr);
  const after = readFileSync(join(dir, "app.yaml"), "utf8");
  assert.deepEqual(changedLines(bySops.stdout, after).sort(), ["api_token", "mac"]);
});

test("a 2-space file keeps its layout when rewritten; decrypt prints it as sops does", async () => {
  const vectors = new URL("../../secrets/testdata/sops-vectors/flux-kustomize-controller/", import.meta.url);
  const dir = mkdtempSync(join(tmpdir(), "slipway-secrets-cli-"));
  const original = readFileSync(new URL("global-secret.yaml", vectors), "utf8");
  writeFileSync(join(dir, "secret.yaml"), original);
  const key = readFileSync(new URL("keys/age-global.txt", vectors), "utf8");
  const shown = await run(["secrets", "decrypt", "secret.yaml"], dir, { key });
  assert.match(shown.stdout, /^metadata:\n {4}name: global-age-secret$/m);
  const r = await run(["secrets", "set", "secret.yaml", "stringData.key"], dir, { key, stdin: "rotated" });
  assert.equal(r.code, 0, r.stderr);
  const after = readFileSync(join(dir, "secret.yaml"), "utf8");
  // The data keeps its 2-space layout; the metadata block is rewritten the way sops 3.13 writes it
  // (this file came from sops 3.10, which ordered the age entry's fields differently).
  const data = (t: string) => t.slice(0, t.indexOf("\nsops:"));
  assert.deepEqual(changedLines(data(original), data(after)), ["key"]);
  assert.match(after, /^sops:\n {2}age:\n {4}- enc: \|\n {8}-----BEGIN AGE ENCRYPTED FILE-----$/m);
});

test("unset removes a key; a missing key is a usage error", async () => {
  const dir = project();
  await encrypted(dir);
  assert.equal((await run(["secrets", "unset", "app.yaml", "api_token"], dir)).code, 0);
  const json = JSON.parse((await run(["secrets", "decrypt", "--output", "json", "app.yaml"], dir)).stdout);
  assert.equal(json.api_token, undefined);
  const missing = await run(["secrets", "unset", "app.yaml", "nope"], dir);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope: no such key/);
});

test("edit uses a private file in memory, removes it, and re-encrypts only what changed", async () => {
  const dir = project();
  const before = await encrypted(dir);
  const log = join(dir, "editor.log");
  const editor = `sh -c 'echo "$0 $(stat -c %a "$0")" > ${log}; sed -i s/tok-123/tok-456/ "$0"'`;
  const r = await run(["secrets", "edit", "app.yaml"], dir, { env: { EDITOR: editor } });
  assert.equal(r.code, 0, r.stderr);
  const [tempPath, mode] = readFileSync(log, "utf8").trim().split(" ");
  assert.equal(mode, "600");
  if (existsSync("/dev/shm")) assert.ok(String(tempPath).startsWith("/dev/shm/"), String(tempPath));
  assert.ok(!existsSync(tempPath as string), "the plaintext copy was left behind");
  const after = readFileSync(join(dir, "app.yaml"), "utf8");
  assert.deepEqual(changedLines(before, after).sort(), ["api_token", "mac"]);
  assert.equal(
    (await run(["secrets", "decrypt", "--extract", "api_token", "app.yaml"], dir)).stdout,
    "tok-456",
  );
});

test("a failing editor leaves the file untouched and the temporary copy removed", async () => {
  const dir = project();
  const before = await encrypted(dir);
  const log = join(dir, "editor.log");
  const r = await run(["secrets", "edit", "app.yaml"], dir, {
    env: { EDITOR: `sh -c 'echo "$0" > ${log}; exit 3'` },
  });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /exited with 3; the file was not changed/);
  assert.equal(readFileSync(join(dir, "app.yaml"), "utf8"), before);
  assert.ok(!existsSync(readFileSync(log, "utf8").trim()));
});

test("an edit that does not parse fails, leaves the file as it was and removes the copy", async () => {
  const dir = project();
  const before = await encrypted(dir);
  const log = join(dir, "editor.log");
  const editor = `sh -c 'echo "$0" > ${log}; printf "a: [unclosed\\n" > "$0"'`;
  const r = await run(["secrets", "edit", "app.yaml"], dir, { env: { EDITOR: editor } });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(readFileSync(join(dir, "app.yaml"), "utf8"), before);
  assert.ok(!existsSync(readFileSync(log, "utf8").trim()));
});

test("rotate changes the data key and every ciphertext, not the plaintext", async () => {
  const dir = project();
  const before = await encrypted(dir);
  assert.equal((await run(["secrets", "rotate", "app.yaml"], dir)).code, 0);
  const after = readFileSync(join(dir, "app.yaml"), "utf8");
  const enc = (t: string): string[] => [...(t.match(/ENC\[[^\]]+\]/g) ?? [])];
  assert.equal(enc(after).filter((e) => enc(before).includes(e)).length, 0);
  const json = JSON.parse((await run(["secrets", "decrypt", "--output", "json", "app.yaml"], dir)).stdout);
  assert.equal(json.db.password, "hunter2");
});

test("encrypt follows .sops.yaml; updatekeys re-wraps for the keys it lists now", async () => {
  const dir = project();
  writeFileSync(
    join(dir, ".sops.yaml"),
    `creation_rules:\n  - path_regex: \\.yaml$\n    encrypted_regex: ^password$\n    age: ${recipient}\n`,
  );
  assert.equal((await run(["secrets", "encrypt", "-i", "app.yaml"], dir)).code, 0);
  const text = readFileSync(join(dir, "app.yaml"), "utf8");
  assert.match(text, /user: admin/);
  assert.match(text, /password: ENC\[AES256_GCM/);
  assert.match(text, /encrypted_regex: \^password\$/);
  assert.equal((await run(["secrets", "decrypt", "app.yaml"], dir, { key: second })).code, 1);

  writeFileSync(
    join(dir, ".sops.yaml"),
    `creation_rules:\n  - path_regex: \\.yaml$\n    encrypted_regex: ^password$\n    age: ${recipient},${secondRecipient}\n`,
  );
  const up = await run(["secrets", "updatekeys", "--output", "json", "app.yaml"], dir);
  assert.equal(up.code, 0, up.stderr);
  assert.deepEqual(JSON.parse(up.stdout), {
    file: "app.yaml",
    added: [`age ${secondRecipient}`],
    removed: [],
    changed: true,
  });
  const bySecond = await run(["secrets", "decrypt", "--extract", "db.password", "app.yaml"], dir, {
    key: second,
  });
  assert.equal(bySecond.stdout, "hunter2");
});

test("encrypt without keys or rules says what to do", async () => {
  const dir = project();
  const r = await run(["secrets", "encrypt", "app.yaml"], dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no keys given; pass --age/);
});

test("canary: no command writes the plaintext to stderr, also when it fails", async () => {
  const canary = "canary-91c4e7-do-not-leak";
  const dir = mkdtempSync(join(tmpdir(), "slipway-secrets-cli-"));
  writeFileSync(join(dir, "app.yaml"), `db:\n  password: ${canary}\n  user: ${canary}-user\n`);
  const stderr: string[] = [];
  const step = async (argv: string[], options: Parameters<typeof run>[2] = {}) => {
    const r = await run(argv, dir, options);
    stderr.push(r.stderr);
    return r;
  };
  await step(["secrets", "encrypt", "-i", "--age", recipient, "app.yaml"]);
  await step(["secrets", "set", "app.yaml", "db.token"], { stdin: `${canary}-token` });
  await step(["secrets", "rotate", "app.yaml"]);
  await step(["secrets", "decrypt", "app.yaml"], { key: second }); // wrong key
  const text = readFileSync(join(dir, "app.yaml"), "utf8");
  assert.ok(!text.includes(canary));
  // Values swapped between keys, a byte changed, a value removed: every failure names a path only.
  const lines = text.split("\n");
  const pw = lines.findIndex((l) => l.includes("password:"));
  const user = lines.findIndex((l) => l.includes("user:"));
  const swapped = [...lines];
  swapped[pw] = (lines[pw] as string).replace(
    /ENC\[.*\]/,
    /ENC\[.*\]/.exec(lines[user] as string)?.[0] as string,
  );
  writeFileSync(join(dir, "app.yaml"), swapped.join("\n"));
  const failed = await step(["secrets", "decrypt", "app.yaml"]);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /db\.password: value failed authentication/);
  await step(["secrets", "set", "app.yaml", "db.other"], { stdin: canary });
  for (const text of stderr) assert.ok(!text.includes(canary), text);
});

test("a binary file that is not UTF-8 decrypts to its exact bytes, with Slipway and with the real sops", async () => {
  const dir = project();
  // Bytes no UTF-8 decoder keeps: a lone continuation byte, 0xff/0xfe, a NUL and a truncated sequence.
  const bytes = Buffer.from([0x80, 0xff, 0xfe, 0x00, 0x41, 0xc3, 0x0a, 0xe2, 0x82]);
  writeFileSync(join(dir, "cert.der"), bytes);
  const enc = await run(
    ["secrets", "encrypt", "-i", "--format", "binary", "--age", recipient, "cert.der"],
    dir,
  );
  assert.equal(enc.code, 0, enc.stderr);
  assert.notDeepEqual(readFileSync(join(dir, "cert.der")), bytes);

  const io = memoryIo({ cwd: dir, env: { HOME: dir, SOPS_AGE_KEY: identity } });
  assert.equal(await main(["secrets", "decrypt", "--format", "binary", "cert.der"], io), 0, io.stderr());
  assert.deepEqual(io.stdoutBytes(), bytes);

  writeFileSync(join(dir, "keys.txt"), `${identity}\n`);
  const sopsEnv = { PATH: process.env.PATH ?? "", HOME: dir, SOPS_AGE_KEY_FILE: join(dir, "keys.txt") };
  const bySops = spawnSync(
    peerPath("sops"),
    ["decrypt", "--input-type", "binary", "--output-type", "binary", "cert.der"],
    {
      cwd: dir,
      env: sopsEnv,
    },
  );
  assert.equal(bySops.status, 0, String(bySops.stderr));
  assert.deepEqual(bySops.stdout, bytes);

  // And a file the real sops encrypted.
  writeFileSync(join(dir, "raw.der"), bytes);
  const sealed = spawnSync(
    peerPath("sops"),
    ["encrypt", "--input-type", "binary", "--output-type", "binary", "--age", recipient, "raw.der"],
    {
      cwd: dir,
      env: sopsEnv,
    },
  );
  assert.equal(sealed.status, 0, String(sealed.stderr));
  writeFileSync(join(dir, "raw.der"), sealed.stdout);
  const back = memoryIo({ cwd: dir, env: { HOME: dir, SOPS_AGE_KEY: identity } });
  assert.equal(await main(["secrets", "decrypt", "--format", "binary", "raw.der"], back), 0, back.stderr());
  assert.deepEqual(back.stdoutBytes(), bytes);
});

test("a key flag that is not a key is a usage error naming the flag", async () => {
  const dir = project();
  for (const [flag, value] of [
    ["--age", "notakey"],
    ["--age", "age1notakey"],
    ["--kms", "foo"],
    ["--hc-vault-transit", "not a uri"],
  ] as const) {
    const r = await run(["secrets", "encrypt", flag, value, "app.yaml"], dir);
    assert.equal(r.code, 2, `${flag} ${value}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^error: ${flag} "${value}": `));
  }
});

test("decrypt --extract of a binary file's value writes its exact bytes", async () => {
  const dir = project();
  const bytes = Buffer.from([0x30, 0x82, 0xff, 0xfe, 0x00, 0x80, 0x0a]);
  writeFileSync(join(dir, "cert.der"), bytes);
  assert.equal((await run(["secrets", "encrypt", "-i", "--age", recipient, "cert.der"], dir)).code, 0);
  const io = memoryIo({ cwd: dir, env: { HOME: dir, SOPS_AGE_KEY: identity } });
  assert.equal(await main(["secrets", "decrypt", "--extract", '["data"]', "cert.der"], io), 0, io.stderr());
  assert.deepEqual(io.stdoutBytes(), bytes);
});
