/**
 * The real sops against the same local stand-ins Slipway's Vault transit and KMS backends are
 * tested with: if sops' own Vault and AWS clients accept them, the stand-ins speak the real APIs.
 * Both directions: Slipway wraps, sops unwraps; sops wraps, Slipway unwraps.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { peerPath } from "../testing/peers.ts";
import { AwsKmsKeyBackend } from "./backends/aws-kms.ts";
import { startKmsStandIn, startVaultTransitStandIn, testCertificate } from "./backends/stand-ins.ts";
import { VaultTransitKeyBackend } from "./backends/vault-transit.ts";
import { encryptDocument, openDocument } from "./format/sops-file.ts";
import { toJsonValue } from "./format/tree.ts";
import { KeyRing } from "./key-ring.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "slipway-sops-network-"));
const vault = await startVaultTransitStandIn("s.interop");
const kms = await startKmsStandIn("interop-secret");
after(async () => {
  await Promise.all([vault.close(), kms.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const role = "arn:aws:iam::111122223333:role/sops";
const teams = ["shop"];
const allowedKms = [{ arn, roles: [role], teams }];
/** sops trusts the stand-ins' self-signed certificate through the Go and Vault CA variables. */
const env = {
  SSL_CERT_FILE: testCertificate().caFile,
  VAULT_CACERT: testCertificate().caFile,
  PATH: process.env.PATH ?? "",
  HOME: dir,
  VAULT_TOKEN: "s.interop",
  AWS_ACCESS_KEY_ID: "AKIDINTEROP",
  AWS_SECRET_ACCESS_KEY: "interop-secret",
  AWS_ENDPOINT_URL_KMS: kms.url,
  AWS_EC2_METADATA_DISABLED: "true",
  NO_PROXY: "127.0.0.1",
};
const keys = new KeyRing([
  new VaultTransitKeyBackend({
    token: "s.interop",
    allowed: [{ address: vault.url, engine_path: "transit", key_name: "app", teams }],
  }),
  new AwsKmsKeyBackend({
    credentials: { accessKeyId: "AKIDINTEROP", secretAccessKey: "interop-secret" },
    endpoint: kms.url,
    allowed: allowedKms,
  }),
]);

/** Asynchronous on purpose: the stand-ins run in this process and must keep answering. */
async function sops(args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(peerPath("sops"), args, {
    cwd: dir,
    env: { ...env, ...extraEnv },
    encoding: "utf8",
    timeout: 60_000,
  });
  return stdout;
}

const cases = [
  {
    name: "Vault transit",
    spec: { type: "hc_vault" as const, vault_address: vault.url, engine_path: "transit", key_name: "app" },
    flag: ["--hc-vault-transit", `${vault.url}/v1/transit/keys/app`],
  },
  {
    name: "AWS KMS",
    spec: { type: "kms" as const, arn, context: { app: "web" } },
    flag: ["--kms", arn, "--encryption-context", "app:web"],
  },
];

for (const c of cases) {
  test(`${c.name}: sops unwraps what Slipway wrapped, and Slipway what sops wrapped`, async () => {
    const ours = await encryptDocument(Buffer.from("password: from-slipway\n"), {
      file: "a.yaml",
      keys,
      now: new Date(),
      keyGroups: [[c.spec]],
    });
    writeFileSync(join(dir, "ours.yaml"), ours);
    assert.equal(await sops(["decrypt", "ours.yaml"]), "password: from-slipway\n");

    writeFileSync(join(dir, "plain.yaml"), "password: from-sops\n");
    const theirs = await sops(["encrypt", ...c.flag, "plain.yaml"]);
    const doc = await openDocument(Buffer.from(theirs), { file: "plain.yaml", keys });
    assert.deepEqual(doc.branches.map(toJsonValue), [{ password: "from-sops" }]);
  });
}

test("AWS KMS with a role: sops and Slipway both assume it through STS and read each other's files", async () => {
  const roleEnv = { AWS_ENDPOINT_URL_STS: kms.url };
  const withRole = new KeyRing([
    new AwsKmsKeyBackend({
      credentials: { accessKeyId: "AKIDINTEROP", secretAccessKey: "interop-secret" },
      endpoint: kms.url,
      stsEndpoint: kms.url,
      allowed: allowedKms,
    }),
  ]);
  const ours = await encryptDocument(Buffer.from("password: role-slipway\n"), {
    file: "r.yaml",
    keys: withRole,
    now: new Date(),
    keyGroups: [[{ type: "kms", arn, role }]],
  });
  writeFileSync(join(dir, "role-ours.yaml"), ours);
  assert.equal(await sops(["decrypt", "role-ours.yaml"], roleEnv), "password: role-slipway\n");
  writeFileSync(join(dir, "role-plain.yaml"), "password: role-sops\n");
  const theirs = await sops(["encrypt", "--kms", `${arn}+${role}`, "role-plain.yaml"], roleEnv);
  assert.match(theirs, /role: arn:aws:iam::111122223333:role\/sops/);
  const doc = await openDocument(Buffer.from(theirs), { file: "role-plain.yaml", keys: withRole });
  assert.deepEqual(doc.branches.map(toJsonValue), [{ password: "role-sops" }]);
  assert.ok(kms.roles.some((r) => r.startsWith(`${role} sops@`)));
});
