/**
 * The Vault transit and AWS KMS backends against local https stand-ins that speak the documented
 * APIs (see stand-ins.ts): no real Vault or AWS is reachable here. The operator's allowlist names
 * the keys each test uses.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { encryptDocument, openDocument } from "../format/sops-file.ts";
import { toJsonValue } from "../format/tree.ts";
import { KeyRing } from "../key-ring.ts";
import { AgeKeyBackend } from "./age.ts";
import { AwsKmsKeyBackend } from "./aws-kms.ts";
import { signingKey } from "./sigv4.ts";
import { startKmsStandIn, startVaultTransitStandIn } from "./stand-ins.ts";
import { VaultTransitKeyBackend } from "./vault-transit.ts";

const vault = await startVaultTransitStandIn("s.test-token");
const kms = await startKmsStandIn("test-secret");
after(() => Promise.all([vault.close(), kms.close()]));

const teams = ["shop"];
const vaultKeys = [
  { address: vault.url, engine_path: "transit/team", key_name: "app", teams },
  { address: vault.url, engine_path: "transit", key_name: "k", teams },
];
const arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const role = "arn:aws:iam::111122223333:role/sops-decrypt";
const kmsKeys = [{ arn, roles: [role], teams }];
const vaultBackend = (token = "s.test-token") => new VaultTransitKeyBackend({ token, allowed: vaultKeys });
const kmsBackend = (secretAccessKey = "test-secret") =>
  new AwsKmsKeyBackend({
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey },
    endpoint: kms.url,
    allowed: kmsKeys,
  });
const file = "app.yaml";
const plain = Buffer.from("password: hunter2\n");
const now = new Date("2026-11-23T12:00:00Z");

test("SigV4 derives the signing key AWS documents for its example", () => {
  const key = signingKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
  assert.equal(key.toString("hex"), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
});

test("a file wrapped for Vault transit and KMS opens with either one alone", async () => {
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  const sealed = await encryptDocument(plain, {
    file,
    now,
    keys: new KeyRing([new AgeKeyBackend([]), vaultBackend(), kmsBackend()]),
    keyGroups: [
      [
        { type: "age", recipient },
        { type: "hc_vault", vault_address: vault.url, engine_path: "transit/team", key_name: "app" },
        { type: "kms", arn, context: { app: "web" } },
      ],
    ],
  });
  assert.match(sealed, /hc_vault:\n\s+- created_at: "2026-11-23T12:00:00Z"\n\s+enc: vault:v1:/);
  assert.match(sealed, /kms:\n\s+- arn: arn:aws:kms:eu-west-1/);
  for (const backend of [vaultBackend(), kmsBackend(), new AgeKeyBackend([identity])]) {
    const doc = await openDocument(Buffer.from(sealed), { file, keys: new KeyRing([backend]) });
    assert.deepEqual(doc.branches.map(toJsonValue), [{ password: "hunter2" }]);
  }
  assert.ok((vault.calls.get("decrypt") ?? 0) >= 1 && (kms.calls.get("Decrypt") ?? 0) >= 1);
});

test("a wrong Vault token or AWS secret fails with the status and Slipway's own words, per master key", async () => {
  const sealed = await encryptDocument(plain, {
    file,
    now,
    keys: new KeyRing([vaultBackend(), kmsBackend()]),
    keyGroups: [
      [
        { type: "hc_vault", vault_address: vault.url, engine_path: "transit", key_name: "k" },
        { type: "kms", arn },
      ],
    ],
  });
  await assert.rejects(
    openDocument(Buffer.from(sealed), {
      file,
      keys: new KeyRing([vaultBackend("wrong"), kmsBackend("wrong")]),
    }),
    (error: Error & { problems?: { message: string }[] }) => {
      const reasons = (error.problems ?? []).map((p) => p.message).join("\n");
      assert.match(reasons, /hc_vault .*Vault transit answered 403: permission denied/);
      assert.match(reasons, /kms .*AWS KMS Decrypt answered 403: InvalidSignatureException/);
      return true;
    },
  );
});

test("an unreachable Vault is reported as such", async () => {
  const address = "https://127.0.0.1:9";
  const backend = new VaultTransitKeyBackend({
    token: "t",
    allowed: [{ address, engine_path: "t", key_name: "k", teams }],
  });
  await assert.rejects(
    backend.wrap(
      new Uint8Array(32),
      { type: "hc_vault", vault_address: address, engine_path: "t", key_name: "k" },
      now,
    ),
    /Vault transit at https:\/\/127\.0\.0\.1:9\/v1\/t\/encrypt\/k cannot be reached/,
  );
});

test("a KMS entry with a role assumes it through STS first, once per role", async () => {
  const backend = new AwsKmsKeyBackend({
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret" },
    endpoint: kms.url,
    stsEndpoint: kms.url,
    hostname: "build host #7",
    allowed: kmsKeys,
  });
  const before = kms.roles.length;
  const entry = await backend.wrap(new Uint8Array(32).fill(3), { type: "kms", arn, role }, now);
  assert.equal(entry.type === "kms" ? entry.role : undefined, role);
  assert.deepEqual(await backend.unwrap(entry), new Uint8Array(32).fill(3));
  assert.deepEqual(kms.roles.slice(before), [`${role} sops@buildhost7`]);
});
