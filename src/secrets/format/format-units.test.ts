/** The small rules that decide bytes: Go number and time formatting, key paths, flattening. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { inspect } from "node:util";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { AgeKeyBackend } from "../backends/age.ts";
import { KeyRing } from "../key-ring.ts";
import { toSecretData } from "../secret-data.ts";
import { secretEntries } from "../values.ts";
import { decryptValue, encryptValue } from "./aes-value.ts";
import { flatten, unflatten } from "./flatten.ts";
import { goFormatFloatF, goFormatFloatG, goValToStringFloat } from "./go-number.ts";
import { encryptDocument, openDocument } from "./sops-file.ts";
import { parseKeyPath } from "./tree-edit.ts";
import { goTimestamp } from "./yaml-time.ts";

test("floats are written as Go writes them", () => {
  assert.equal(goFormatFloatF(3.14), "3.14");
  assert.equal(goFormatFloatF(1234568000), "1234568000");
  assert.equal(goFormatFloatF(1e21), "1000000000000000000000");
  assert.equal(goFormatFloatF(0.000001), "0.000001");
  assert.equal(goFormatFloatG(7), "7");
  assert.equal(goFormatFloatG(1234568000), "1.234568e+09");
  assert.equal(goFormatFloatG(100000), "100000");
  assert.equal(goFormatFloatG(0.00001), "1e-05");
  assert.equal(goFormatFloatG(Number.POSITIVE_INFINITY), "+Inf");
  assert.equal(goValToStringFloat(7), "7.0");
  assert.equal(goValToStringFloat(1234568000), "1.234568E+09");
});

test("unquoted YAML timestamps become Go's MarshalText form", () => {
  assert.equal(goTimestamp("2024-01-01"), "2024-01-01T00:00:00Z");
  assert.equal(goTimestamp("2024-01-01T10:20:30.500Z"), "2024-01-01T10:20:30.5Z");
  assert.equal(goTimestamp("2024-1-2 3:04:05 +01:00"), "2024-01-02T03:04:05+01:00");
  assert.equal(goTimestamp("2024-01-01x"), undefined);
});

test("the AES value matches sops' own test vector and refuses the wrong additional data", () => {
  const key = Buffer.from("ffffffffffffffffffffffffffffffff");
  const enc =
    "ENC[AES256_GCM,data:oYyi,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:t5z2Z023Up0kxwCgw1gNxg==,type:str]";
  assert.deepEqual(decryptValue(enc, key, "bar:", "bar"), { kind: "str", value: "foo" });
  assert.throws(() => decryptValue(enc, key, "", "bar"), /bar: value failed authentication/);
  const again = encryptValue(
    { kind: "str", value: "foo" },
    key,
    "bar:",
    Buffer.from("MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=", "base64"),
  );
  assert.equal(again, enc);
});

test("key paths: dotted or sops' bracket form", () => {
  assert.deepEqual(parseKeyPath("db.password"), ["db", "password"]);
  assert.deepEqual(parseKeyPath("hosts.0"), ["hosts", 0]);
  assert.deepEqual(parseKeyPath('["a.b"][0]["c"]'), ["a.b", 0, "c"]);
  assert.throws(() => parseKeyPath('["a"'), /invalid key path/);
});

test("flattened metadata round-trips with sorted keys", () => {
  const tree = unflatten([
    ["version", { kind: "str", value: "3.13.3" }],
    ["age__list_0__map_recipient", { kind: "str", value: "age1x" }],
    ["age__list_0__map_enc", { kind: "str", value: "E" }],
  ]);
  assert.deepEqual(
    flatten(tree, "sops_").map(([k]) => k),
    ["sops_age__list_0__map_enc", "sops_age__list_0__map_recipient", "sops_version"],
  );
});

test("secretEntries hands out SecretValues that never print their plaintext", async () => {
  const identity = await generateIdentity();
  const keys = new KeyRing([new AgeKeyBackend([identity])]);
  const recipient = await identityToRecipient(identity);
  const text = await encryptDocument(Buffer.from("db:\n  password: canary-5f2b\nhosts: [a, b]\n"), {
    file: "s.yaml",
    keys,
    now: new Date(),
    keyGroups: [[{ type: "age", recipient }]],
  });
  const entries = secretEntries(await openDocument(Buffer.from(text), { file: "s.yaml", keys }));
  assert.deepEqual(
    entries.map((e) => e.path),
    [
      ["db", "password"],
      ["hosts", 0],
      ["hosts", 1],
    ],
  );
  assert.equal(entries[0]?.value.reveal(), "canary-5f2b");
  assert.ok(!inspect(entries, { depth: 9 }).includes("canary-5f2b"));
  assert.ok(!JSON.stringify(entries).includes("canary-5f2b"));
});

test("an opened file becomes Secret data keyed by path, with its size, and bad keys are refused", async () => {
  const identity = await generateIdentity();
  const keys = new KeyRing([new AgeKeyBackend([identity])]);
  const recipient = await identityToRecipient(identity);
  const seal = (text: string, file: string) =>
    encryptDocument(Buffer.from(text), {
      file,
      keys,
      now: new Date(),
      keyGroups: [[{ type: "age", recipient }]],
    });
  const env = await openDocument(Buffer.from(await seal("DB_PASSWORD=pw\nAPI_KEY=k\n", "app.env")), {
    file: "app.env",
    keys,
  });
  const secret = toSecretData(env);
  assert.deepEqual([...secret.data.keys()], ["DB_PASSWORD", "API_KEY"]);
  assert.equal(secret.data.get("DB_PASSWORD")?.reveal(), "pw");
  assert.equal(secret.bytes, "DB_PASSWORDpwAPI_KEYk".length);
  const bad = await openDocument(Buffer.from(await seal("'a b': x\n", "bad.yaml")), {
    file: "bad.yaml",
    keys,
  });
  assert.throws(() => toSecretData(bad), /"a b" cannot be a Secret key/);
});
