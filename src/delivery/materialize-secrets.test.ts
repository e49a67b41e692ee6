/**
 * Secrets into deployments, with real SOPS files encrypted for a generated age key: values land
 * in the Secret's data only in memory, pods roll when the source changes, oversized Secrets are
 * refused before apply, and sealing for GitOps keeps values encrypted and unchanged copies stable.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { generateIdentity, identityToRecipient } from "age-encryption";
import type { SlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import { render } from "../render/render.ts";
import { AgeKeyBackend } from "../secrets/backends/age.ts";
import { encryptDocument, openDocument } from "../secrets/format/sops-file.ts";
import { KeyRing } from "../secrets/key-ring.ts";
import { secretEntries } from "../secrets/values.ts";
import { appDirectoryFiles } from "../source/app-directory.ts";
import { defaultPlatform, parseAppSpec } from "../spec/parse.ts";
import {
  MAX_SECRET_BYTES,
  materializeSecrets,
  SECRET_DIGESTS_ANNOTATION,
  SECRETS_CHECKSUM_ANNOTATION,
} from "./materialize-secrets.ts";
import { sopsSecretSealer } from "./sops-secret-sealer.ts";
import { sopsSecretSources } from "./sops-secret-sources.ts";

const identity = await generateIdentity();
const recipient = await identityToRecipient(identity);
const keys = new KeyRing([new AgeKeyBackend([identity])]);
const platform = defaultPlatform();
const CANARY = "canary-7f3a9c-not-for-logs";

async function encrypted(plaintext: string, file: string): Promise<string> {
  return encryptDocument(new TextEncoder().encode(plaintext), {
    file,
    keyGroups: [[{ type: "age", recipient }]],
    keys,
    now: new Date("2026-11-23T12:00:00Z"),
  });
}

async function appWithSecret(plaintext: string): Promise<{ dir: string; objects: KubeObject[] }> {
  const dir = mkdtempSync(join(tmpdir(), "slipway-secrets-"));
  writeFileSync(join(dir, "app.enc.yaml"), await encrypted(plaintext, "app.enc.yaml"));
  const app = parseAppSpec(
    `apiVersion: slipway.dev/v1\nkind: App\nname: shop\nteam: t\nimage: { repository: r.example.com/shop, tag: "1" }\nsecrets:\n  - { name: app, file: app.enc.yaml }\n`,
    "slipway.yaml",
    platform,
  );
  return { dir, objects: render({ app, platform, target: "develop" }).objects };
}

const secretOf = (objects: KubeObject[]) => objects.find((o) => o.kind === "Secret")!;
const podAnnotations = (objects: KubeObject[]) =>
  (
    objects.find((o) => o.kind === "Deployment")!.spec as {
      template: { metadata: { annotations: Record<string, string> } };
    }
  ).template.metadata.annotations;

test("decrypted values fill the Secret in memory; nested keys join with '.'; the input objects stay valueless", async () => {
  const { dir, objects } = await appWithSecret(`DATABASE_PASSWORD: ${CANARY}\nsmtp:\n  user: mailer\n`);
  const filled = await materializeSecrets(objects, sopsSecretSources(appDirectoryFiles(dir), keys));
  const data = secretOf(filled).data as Record<string, string>;
  assert.equal(Buffer.from(data.DATABASE_PASSWORD!, "base64").toString(), CANARY);
  assert.equal(Buffer.from(data["smtp.user"]!, "base64").toString(), "mailer");
  assert.equal(secretOf(objects).data, undefined, "the rendered objects are not mutated");
  assert.match(podAnnotations(filled)[SECRETS_CHECKSUM_ANNOTATION]!, /^[0-9a-f]{16}$/);
  assert.ok(!JSON.stringify(podAnnotations(filled)).includes(CANARY));
});

test("a changed secret rolls the pods: the checksum on the pod template changes", async () => {
  const one = await appWithSecret("TOKEN: one\n");
  const two = await appWithSecret("TOKEN: two\n");
  const a = podAnnotations(
    await materializeSecrets(one.objects, sopsSecretSources(appDirectoryFiles(one.dir), keys)),
  );
  const b = podAnnotations(
    await materializeSecrets(two.objects, sopsSecretSources(appDirectoryFiles(two.dir), keys)),
  );
  assert.notEqual(a[SECRETS_CHECKSUM_ANNOTATION], b[SECRETS_CHECKSUM_ANNOTATION]);
});

test("value digests are keyed by the file's data key: the same value in another file, or a guess, does not match", async () => {
  const digests = async (plaintext: string) => {
    const { dir, objects } = await appWithSecret(plaintext);
    const filled = await materializeSecrets(objects, sopsSecretSources(appDirectoryFiles(dir), keys));
    return secretOf(filled).metadata.annotations?.[SECRET_DIGESTS_ANNOTATION] ?? "";
  };
  const one = await digests("TOKEN: same\nUSER: ada\n");
  const two = await digests("TOKEN: same\nUSER: ada\n");
  assert.match(one, /^TOKEN=[0-9a-f]{16},USER=[0-9a-f]{16}$/);
  assert.notEqual(one, two, "two files of equal values share no digest");
  assert.ok(!one.includes(createHash("sha256").update("same").digest("hex").slice(0, 16)));
});

test("a Secret over 1 MiB is refused before apply, naming the Secret and its size but no value", async () => {
  const { dir, objects } = await appWithSecret(`BLOB: ${"x".repeat(MAX_SECRET_BYTES)}\n`);
  await assert.rejects(
    materializeSecrets(objects, sopsSecretSources(appDirectoryFiles(dir), keys)),
    (error: SlipwayError) => {
      assert.equal(error.code, "SLIPWAY_E_TOO_LARGE");
      assert.match(error.message, /Secret shop-app from app\.enc\.yaml holds 1048\d+ bytes/);
      assert.ok(!error.message.includes("xxxx"));
      return true;
    },
  );
});

test("a missing file, a wrong key and a file outside the app are clear errors without values", async () => {
  const { dir, objects } = await appWithSecret(`PASSWORD: ${CANARY}\n`);
  await assert.rejects(
    materializeSecrets(objects, sopsSecretSources(appDirectoryFiles(join(dir, "nowhere")), keys)),
    /does not exist/,
  );
  const stranger = new KeyRing([new AgeKeyBackend([await generateIdentity()])]);
  await assert.rejects(
    materializeSecrets(objects, sopsSecretSources(appDirectoryFiles(dir), stranger)),
    (error: Error) => {
      assert.match(error.message, /no master key could unwrap the data key/);
      assert.ok(!JSON.stringify(error).includes(CANARY) && !String(error.stack).includes(CANARY));
      return true;
    },
  );
  const escaping = objects.map((o) =>
    o.kind === "Secret"
      ? { ...o, metadata: { ...o.metadata, annotations: { "slipway.dev/secret-file": "../x.enc.yaml" } } }
      : o,
  );
  await assert.rejects(
    materializeSecrets(escaping, sopsSecretSources(appDirectoryFiles(dir), keys)),
    /must be inside the app directory/,
  );
});

test("sealing for GitOps encrypts data only, decrypts back to the values, and keeps an unchanged copy", async () => {
  const { dir, objects } = await appWithSecret(`PASSWORD: ${CANARY}\n`);
  const filled = secretOf(await materializeSecrets(objects, sopsSecretSources(appDirectoryFiles(dir), keys)));
  const sealer = sopsSecretSealer({ recipients: [{ type: "age", recipient }], keys });
  const sealed = await sealer.seal(filled, undefined);
  assert.ok(!JSON.stringify(sealed).includes(CANARY));
  assert.equal(sealed.kind, "Secret");
  assert.equal(sealed.metadata.name, "shop-app");
  assert.match(String((sealed.data as Record<string, string>).PASSWORD), /^ENC\[AES256_GCM,/);
  const { stringify } = await import("yaml");
  const opened = await openDocument(new TextEncoder().encode(stringify(sealed)), {
    file: "sealed.yaml",
    keys,
  });
  const password = secretEntries(opened).find((e) => e.path.join(".") === "data.PASSWORD")!;
  assert.equal(Buffer.from(password.value.reveal(), "base64").toString(), CANARY);
  assert.equal(
    await sealer.seal(filled, sealed),
    sealed,
    "an unchanged source returns the repository's copy",
  );
});
