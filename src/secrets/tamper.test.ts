/**
 * Tampering with anything the MAC or GCM protects fails, and the error names what failed: a value's
 * ciphertext, a value moved to another key, the MAC, lastmodified, the key entries.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { AgeKeyBackend } from "./backends/age.ts";
import { encryptDocument, openDocument } from "./format/sops-file.ts";
import { KeyRing } from "./key-ring.ts";

const identity = await generateIdentity();
const recipient = await identityToRecipient(identity);
const keys = new KeyRing([new AgeKeyBackend([identity])]);
const now = new Date("2026-11-23T12:00:00Z");
const plain = "db:\n  user: admin\n  password: hunter2\napi_token: abc123\nport: 5432\n";
const file = "secrets.yaml";
const sealed = await encryptDocument(Buffer.from(plain), {
  file,
  keys,
  now,
  keyGroups: [[{ type: "age", recipient }]],
});

const open = (text: string) => openDocument(Buffer.from(text), { file, keys });
const lineOf = (key: string): string =>
  sealed.split("\n").find((l) => l.trimStart().startsWith(`${key}:`)) as string;

function expectFailure(text: string, code: string, pattern: RegExp) {
  return assert.rejects(open(text), (error: Error & { code?: string }) => {
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

test("the untouched file opens", async () => {
  const doc = await open(sealed);
  assert.equal(doc.branches.length, 1);
});

test("a changed byte in a value's ciphertext fails and names the value", async () => {
  const line = lineOf("password");
  const data = /data:([^,]+),/.exec(line)?.[1] as string;
  const flipped = (data[0] === "A" ? "B" : "A") + data.slice(1);
  await expectFailure(
    sealed.replace(line, line.replace(data, flipped)),
    "SLIPWAY_E_SECRET_INTEGRITY",
    /^db\.password: /,
  );
});

test("a value moved to another key (its key path is the additional data) fails and names the key", async () => {
  const password = lineOf("password").split(": ")[1] as string;
  const user = lineOf("user").split(": ")[1] as string;
  const swapped = sealed.replace(user, "@@").replace(password, user).replace("@@", password);
  await expectFailure(swapped, "SLIPWAY_E_SECRET_INTEGRITY", /^db\.user: .*moved to another key/);
});

test("a renamed key fails: the value no longer matches its path", async () => {
  await expectFailure(
    sealed.replace("api_token:", "api_tokens:"),
    "SLIPWAY_E_SECRET_INTEGRITY",
    /^api_tokens: /,
  );
});

test("a removed value fails the MAC", async () => {
  await expectFailure(
    sealed.replace(`${lineOf("port")}\n`, ""),
    "SLIPWAY_E_SECRET_INTEGRITY",
    /MAC mismatch/,
  );
});

test("a value replaced by plaintext fails and names the value", async () => {
  await expectFailure(
    sealed.replace(lineOf("port"), "port: 5432"),
    "SLIPWAY_E_SECRET_INTEGRITY",
    /^port: expected an encrypted value/,
  );
});

test("a changed MAC fails and names sops.mac", async () => {
  const mac = lineOf("mac");
  const data = /data:([^,]+),/.exec(mac)?.[1] as string;
  await expectFailure(
    sealed.replace(data, `${data.slice(0, -4)}AAA=`),
    "SLIPWAY_E_SECRET_INTEGRITY",
    /^sops\.mac: /,
  );
});

test("a changed lastmodified (the MAC's additional data) fails", async () => {
  await expectFailure(
    sealed.replace("2026-11-23T12:00:00Z", "2026-11-23T12:00:01Z"),
    "SLIPWAY_E_SECRET_INTEGRITY",
    /^sops\.mac: /,
  );
});

test("a changed recipient entry cannot unwrap the data key, and the error says which key failed", async () => {
  const other = await identityToRecipient(await generateIdentity());
  const wrapped = await new AgeKeyBackend([]).wrap(new Uint8Array(32).fill(7), {
    type: "age",
    recipient: other,
  });
  const enc = sealed.slice(sealed.indexOf("-----BEGIN"), sealed.indexOf("-----END AGE ENCRYPTED FILE-----"));
  const foreign = wrapped.type === "age" ? wrapped.enc.slice(0, wrapped.enc.indexOf("-----END")) : "";
  const replaced = sealed.replace(
    enc,
    foreign.replaceAll("\n", "\n                ").trimEnd().concat("\n                "),
  );
  await assert.rejects(open(replaced), (error: Error & { problems?: { message: string }[] }) => {
    assert.match(error.message, /no master key could unwrap the data key/);
    assert.match(error.problems?.[0]?.message ?? "", new RegExp(`age ${recipient}`));
    return true;
  });
});

test("a file with an added encrypted_regex (changing what counts as encrypted) fails", async () => {
  const changed = sealed.replace(
    "    unencrypted_suffix: _unencrypted\n",
    "    encrypted_regex: ^password$\n",
  );
  await expectFailure(
    changed,
    "SLIPWAY_E_SECRET_INTEGRITY",
    /MAC mismatch|failed authentication|expected an encrypted/,
  );
});
