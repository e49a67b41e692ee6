import assert from "node:assert/strict";
import { test } from "node:test";
import { inspect } from "node:util";
import { SlipwayError } from "./errors.ts";
import { SecretValue } from "./secret-value.ts";

const canary = "canary-7f3a9c-plaintext";

test("a secret value never prints its plaintext by accident", () => {
  const secret = SecretValue.fromString(canary);
  const renderings = [
    String(secret),
    `${secret}`,
    `x${secret}`,
    JSON.stringify({ password: secret }),
    inspect(secret),
    inspect({ nested: { secret } }, { depth: 10 }),
    new SlipwayError("SLIPWAY_E_INPUT", `bad value ${secret}`).message,
    inspect(new SlipwayError("SLIPWAY_E_INPUT", "x", { details: { secret } })),
  ];
  for (const text of renderings) assert.ok(!text.includes(canary), text);
  assert.equal(JSON.stringify({ password: secret }), '{"password":"[redacted]"}');
});

test("the plaintext comes out only through reveal()", () => {
  const secret = SecretValue.fromString(canary);
  assert.equal(secret.reveal(), canary);
  assert.equal(new TextDecoder().decode(secret.revealBytes()), canary);
  assert.equal(secret.byteLength, canary.length);
});

test("bytes are copied in and out, and equality compares contents", () => {
  const bytes = new TextEncoder().encode("abc");
  const secret = SecretValue.fromBytes(bytes);
  bytes[0] = 0;
  assert.equal(secret.reveal(), "abc");
  assert.ok(secret.equals(SecretValue.fromString("abc")));
  assert.ok(!secret.equals(SecretValue.fromString("abd")));
  assert.ok(!secret.equals(SecretValue.fromString("abcd")));
});
