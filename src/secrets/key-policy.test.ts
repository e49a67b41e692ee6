/**
 * KMS binds a file to its team and app: a deploy's ring adds `{team, app}` to the encryption
 * context when it wraps, and opens only entries whose context names the app it deploys. The
 * context is authenticated by KMS, so rewriting it in the file does not help either.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { AwsKmsKeyBackend } from "./backends/aws-kms.ts";
import { startKmsStandIn } from "./backends/stand-ins.ts";
import { encryptDocument, openDocument } from "./format/sops-file.ts";
import { toJsonValue } from "./format/tree.ts";
import { KeyPolicy, type KeyScope, type KeysConfig } from "./key-policy.ts";
import { KeyRing } from "./key-ring.ts";

const kms = await startKmsStandIn("secret");
after(() => kms.close());
const arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
/** One KMS key shared by two teams: the context, not the key, keeps their files apart. */
const keys: KeysConfig = { kms: [{ arn, teams: ["commerce", "payments"] }] };
const ring = (scope?: KeyScope) => {
  const policy = new KeyPolicy(keys, scope ? { scope, declaredTeams: ["commerce", "payments"] } : {});
  const backend = new AwsKmsKeyBackend({
    credentials: { accessKeyId: "AKID", secretAccessKey: "secret" },
    endpoint: kms.url,
    allowed: policy.kms,
  });
  return new KeyRing([backend], policy);
};
const cart = { team: "commerce", app: "cart" };

async function sealedFor(scope: KeyScope): Promise<string> {
  return encryptDocument(Buffer.from("password: hunter2\n"), {
    file: "app.enc.yaml",
    keys: ring(scope),
    now: new Date(),
    keyGroups: [[{ type: "kms", arn }]],
  });
}

test("a deploy's ring writes {team, app} into the KMS context and opens the file for that app", async () => {
  const sealed = await sealedFor(cart);
  assert.match(sealed, /context:\n\s+app: cart\n\s+team: commerce/);
  const doc = await openDocument(Buffer.from(sealed), { file: "app.enc.yaml", keys: ring(cart) });
  assert.deepEqual(doc.branches.map(toJsonValue), [{ password: "hunter2" }]);
});

test("another app's or another team's KMS file is refused before KMS is asked", async () => {
  const sealed = Buffer.from(await sealedFor({ team: "payments", app: "ledger" }));
  for (const scope of [cart, { team: "payments", app: "billing" }]) {
    const before = kms.requests.length;
    await assert.rejects(
      openDocument(sealed, { file: "app.enc.yaml", keys: ring(scope) }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, "SLIPWAY_E_KEY_NOT_ALLOWED");
        assert.match(
          error.message,
          new RegExp(
            `for team ${scope.team} \\(app ${scope.app}\\).*must hold team=${scope.team} and app=${scope.app} \\(it has team=payments, app=ledger\\)`,
          ),
        );
        return true;
      },
    );
    assert.equal(kms.requests.length, before, "no request to KMS");
  }
});

test("rewriting the context in the file does not open it: KMS authenticates the context", async () => {
  const sealed = await sealedFor({ team: "payments", app: "ledger" });
  const forged = sealed.replace("app: ledger", "app: cart").replace("team: payments", "team: commerce");
  await assert.rejects(
    openDocument(Buffer.from(forged), { file: "app.enc.yaml", keys: ring(cart) }),
    (error: Error & { problems?: readonly { message: string }[] }) => {
      assert.match(
        error.problems?.[0]?.message ?? "",
        /AWS KMS Decrypt answered 400: InvalidCiphertextException/,
      );
      assert.ok(!error.message.includes("hunter2"));
      return true;
    },
  );
});

test("the secrets commands (no scope) may use any listed key, but not one outside the list", async () => {
  const sealed = await sealedFor(cart);
  const doc = await openDocument(Buffer.from(sealed), { file: "app.enc.yaml", keys: ring() });
  assert.deepEqual(doc.branches.map(toJsonValue), [{ password: "hunter2" }]);
  const other = sealed.replaceAll(arn, arn.replace("1234abcd", "9999abcd"));
  await assert.rejects(
    openDocument(Buffer.from(other), { file: "app.enc.yaml", keys: ring() }),
    /not a KMS key the operator allows; an operator adds its ARN under keys\.kms/,
  );
});
