import assert from "node:assert/strict";
import { test } from "node:test";
import { isSlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import { assertNoPlaintextSecrets, plaintextKeys } from "./secret-guard.ts";

const envelope =
  "ENC[AES256_GCM,data:3q2+7w==,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:BBBBBBBBBBBBBBBBBBBBBB==,type:str]";
const sops = { mac: envelope, lastmodified: "2026-11-23T12:00:00Z", version: "3.13.0", age: [] };

function secret(fields: Record<string, unknown>, encrypted = false): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "db", namespace: "shop" },
    ...fields,
    ...(encrypted ? { sops } : {}),
  };
}

test("a plaintext Secret is refused, naming the keys but never the values", () => {
  const plain = secret({ data: { password: "aHVudGVyMg==" }, stringData: { token: "s3cr3t" } });
  assert.deepEqual(plaintextKeys(plain), ["data.password", "stringData.token"]);
  const error = (() => {
    try {
      assertNoPlaintextSecrets([plain]);
    } catch (e) {
      return e;
    }
  })();
  assert.ok(isSlipwayError(error) && error.code === "SLIPWAY_E_SECRET_PLAINTEXT", String(error));
  assert.match(error.message, /Secret\/shop\/db \(data\.password, stringData\.token\)/);
  assert.doesNotMatch(error.message, /aHVudGVyMg==|s3cr3t/);
});

test("a SOPS-encrypted Secret passes only when every value is an envelope", () => {
  assert.deepEqual(plaintextKeys(secret({ data: { password: envelope } }, true)), []);
  assert.deepEqual(plaintextKeys(secret({ data: { password: envelope, user: "YWRtaW4=" } }, true)), [
    "data.user",
  ]);
  // Envelopes without SOPS metadata cannot be decrypted by anyone: not an encrypted form either.
  assert.deepEqual(plaintextKeys(secret({ data: { password: envelope } })), ["data.password"]);
});

test("a Secret without values and objects of other kinds pass", () => {
  assert.doesNotThrow(() =>
    assertNoPlaintextSecrets([
      secret({ type: "kubernetes.io/service-account-token" }),
      secret({ data: {} }),
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "b" } },
    ]),
  );
});
