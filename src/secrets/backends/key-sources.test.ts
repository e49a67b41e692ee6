/** Where keys come from: the sops age conventions and the AWS shared credentials file. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { generateIdentity } from "age-encryption";
import { type PrivateKey, readPrivateKeys } from "openpgp";
import { loadAgeIdentities } from "./age-keys.ts";
import { parseAwsCredentialsFile } from "./aws-credentials.ts";
import { AwsKmsKeyBackend } from "./aws-kms.ts";
import { PgpKeyBackend } from "./pgp.ts";
import { startKmsStandIn } from "./stand-ins.ts";

const dir = mkdtempSync(join(tmpdir(), "slipway-key-sources-"));
const [a, b, c, d] = await Promise.all([
  generateIdentity(),
  generateIdentity(),
  generateIdentity(),
  generateIdentity(),
]);

test("age identities come from SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and the default keys file", () => {
  writeFileSync(join(dir, "file.txt"), `# created: today\n${b}\n`);
  writeFileSync(join(dir, "cmd.txt"), `${c}\n`);
  mkdirSync(join(dir, "xdg", "sops", "age"), { recursive: true });
  writeFileSync(join(dir, "xdg", "sops", "age", "keys.txt"), `${d}\n`);
  const found = loadAgeIdentities({
    PATH: process.env.PATH,
    SOPS_AGE_KEY: `${a}\n`,
    SOPS_AGE_KEY_FILE: join(dir, "file.txt"),
    SOPS_AGE_KEY_CMD: `cat ${join(dir, "cmd.txt")}`,
    XDG_CONFIG_HOME: join(dir, "xdg"),
  });
  assert.deepEqual(found, [a, b, c, d]);
  const home = loadAgeIdentities({ HOME: dir, XDG_CONFIG_HOME: "" });
  assert.deepEqual(home, []);
  assert.throws(() => loadAgeIdentities({ SOPS_AGE_KEY_FILE: join(dir, "missing.txt") }), /does not exist/);
  assert.throws(
    () => loadAgeIdentities({ PATH: process.env.PATH, SOPS_AGE_KEY_CMD: "exit 3" }),
    /SOPS_AGE_KEY_CMD failed/,
  );
});

test("the shared credentials file gives named profiles; a KMS entry with aws_profile uses its profile", async () => {
  const profiles = parseAwsCredentialsFile(
    "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = wrong\n\n[profile team]\naws_access_key_id=AKIDTEAM\naws_secret_access_key=team-secret\naws_session_token = tok\n",
  );
  assert.deepEqual(Object.keys(profiles), ["default", "team"]);
  assert.equal(profiles.team?.sessionToken, "tok");
  const kms = await startKmsStandIn("team-secret");
  after(() => kms.close());
  const arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  const backend = new AwsKmsKeyBackend({
    credentials: profiles.default,
    profiles,
    endpoint: kms.url,
    allowed: [{ arn, aws_profiles: ["team", "nope"], teams: ["shop"] }],
  });
  const entry = await backend.wrap(
    new Uint8Array(32).fill(9),
    { type: "kms", arn, aws_profile: "team" },
    new Date(),
  );
  assert.deepEqual(await backend.unwrap(entry), new Uint8Array(32).fill(9));
  await assert.rejects(
    backend.wrap(new Uint8Array(32), { type: "kms", arn }, new Date()),
    /403: InvalidSignatureException/,
  );
  await assert.rejects(
    backend.wrap(new Uint8Array(32), { type: "kms", arn, aws_profile: "nope" }, new Date()),
    /no credentials for AWS profile "nope"/,
  );
});

test("PGP: a public key is enough to wrap; its secret key unwraps", async () => {
  const armored = readFileSync(new URL("../testdata/sops-vectors/sops-nix/key.asc", import.meta.url), "utf8");
  const [secret] = await readPrivateKeys({ armoredKeys: armored });
  const publicOnly = new PgpKeyBackend([(secret as PrivateKey).toPublic().armor()]);
  const fp = "7FB89715AADA920D65D25E63F9BA9DEBD03F57C0";
  const entry = await publicOnly.wrap(new Uint8Array(32).fill(5), { type: "pgp", fp }, new Date());
  await assert.rejects(publicOnly.unwrap(entry), /no PGP secret keys provided/);
  assert.deepEqual(await new PgpKeyBackend([armored]).unwrap(entry), new Uint8Array(32).fill(5));
});
