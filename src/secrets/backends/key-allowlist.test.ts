/**
 * A SOPS file is untrusted: its `hc_vault` and `kms` entries only select among the keys the
 * operator lists. Each attack a file can mount through its metadata is replayed here against
 * local listeners that count every TCP connection; each must receive nothing, and the refusal
 * names the entry and what an operator would add.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { after, test } from "node:test";
import { encryptDocument, openDocument } from "../format/sops-file.ts";
import { KeyPolicy, type KeysConfig, parseKmsArn, vaultPathProblem } from "../key-policy.ts";
import { KeyRing } from "../key-ring.ts";
import { AwsKmsKeyBackend } from "./aws-kms.ts";
import { keyRingFromEnv } from "./from-env.ts";
import type { Fetch } from "./http-json.ts";
import { startKmsStandIn, startVaultTransitStandIn, testCertificate } from "./stand-ins.ts";

/** A TCP listener that only counts who connects: a server that must hear nothing. */
async function tcpListener(): Promise<{ port: number; connections: () => number; server: Server }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, connections: () => connections, server };
}

const TOKEN = "s.server-token";
const vault = await startVaultTransitStandIn(TOKEN);
const kms = await startKmsStandIn("server-secret");
const attacker = await tcpListener();
after(() => Promise.all([vault.close(), kms.close(), new Promise((r) => attacker.server.close(r))]));

const arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const keys: KeysConfig = {
  vault: [{ address: vault.url, engine_path: "transit", key_name: "cart", teams: ["commerce"] }],
  kms: [{ arn, teams: ["commerce"] }],
};
const env = {
  HOME: mkdtempSync(`${tmpdir()}/slipway-allowlist-`),
  VAULT_TOKEN: TOKEN,
  VAULT_NAMESPACE: "ops",
  AWS_ACCESS_KEY_ID: "AKIDSERVER",
  AWS_SECRET_ACCESS_KEY: "server-secret",
  AWS_SESSION_TOKEN: "server-session-token",
  AWS_ENDPOINT_URL_KMS: kms.url,
};
const ring = () => keyRingFromEnv(env, { keys, teams: ["commerce"] });

/** A file for the allowed Vault key, then its metadata rewritten as an attacker would. */
async function vaultFile(rewrite: (text: string) => string): Promise<Buffer> {
  const sealed = await encryptDocument(Buffer.from("password: hunter2\n"), {
    file: "app.enc.yaml",
    keys: ring(),
    now: new Date(),
    keyGroups: [[{ type: "hc_vault", vault_address: vault.url, engine_path: "transit", key_name: "cart" }]],
  });
  return Buffer.from(rewrite(sealed));
}

const refused = (pattern: RegExp) => (error: Error & { code?: string }) => {
  assert.equal(error.code, "SLIPWAY_E_KEY_NOT_ALLOWED", error.message);
  assert.match(error.message, pattern);
  assert.match(error.message, /no key service was contacted/);
  return true;
};

test("an hc_vault entry pointing at another address (plain http or https) sends the token nowhere", async () => {
  for (const scheme of ["http", "https"]) {
    const file = await vaultFile((t) =>
      t.replace(`vault_address: ${vault.url}`, `vault_address: ${scheme}://127.0.0.1:${attacker.port}`),
    );
    const before = vault.requests.length;
    await assert.rejects(
      openDocument(file, { file: "app.enc.yaml", keys: ring() }),
      refused(
        scheme === "http"
          ? /hc_vault http:\/\/127\.0\.0\.1.*a Vault address must use https/
          : /hc_vault https:\/\/127\.0\.0\.1.*not a Vault key the operator allows.*under keys\.vault/,
      ),
    );
    assert.equal(attacker.connections(), 0, `${scheme}: the attacker's listener heard nothing`);
    assert.equal(vault.requests.length, before);
  }
});

test("engine_path or key_name that walk to other Vault endpoints never reach the real Vault", async () => {
  const rewrites = [
    (t: string) => t.replace("engine_path: transit", 'engine_path: "auth/token/revoke-self#"'),
    (t: string) => t.replace("key_name: cart", 'key_name: "../../../sys/seal?x="'),
    (t: string) => t.replace("engine_path: transit", "engine_path: transit/../sys"),
  ];
  for (const rewrite of rewrites) {
    const file = await vaultFile(rewrite);
    const before = vault.requests.length;
    await assert.rejects(
      openDocument(file, { file: "app.enc.yaml", keys: ring() }),
      refused(/(engine_path|key_name) .* must be/),
    );
    assert.deepEqual(vault.requests.slice(before), [], "the real Vault received nothing");
  }
});

test("a KMS ARN whose region names another host signs nothing for it", async () => {
  const attempts: string[] = [];
  // Stands in for DNS: every host the backend asks for leads to the attacker's listener.
  const viaAttacker: Fetch = (input, init) => {
    attempts.push(String(input));
    const url = new URL(String(input));
    return fetch(`https://127.0.0.1:${attacker.port}${url.pathname}`, init);
  };
  const evil = "arn:aws:kms:attacker.example/:1:key/x";
  const backend = new AwsKmsKeyBackend({
    credentials: { accessKeyId: "AKIDSERVER", secretAccessKey: "s", sessionToken: "server-session-token" },
    allowed: [...(keys.kms ?? []), { arn: evil, teams: ["commerce"] }],
    fetch: viaAttacker,
  });
  const entry = { type: "kms" as const, arn: evil, created_at: "", enc: "AAAA", aws_profile: "" };
  await assert.rejects(backend.unwrap(entry), /"attacker\.example\/" is not an AWS region/);
  const sealed = await encryptDocument(Buffer.from("password: hunter2\n"), {
    file: "app.enc.yaml",
    keys: ring(),
    now: new Date(),
    keyGroups: [[{ type: "kms", arn }]],
  });
  const file = Buffer.from(sealed.replaceAll(arn, evil));
  const policyRing = new KeyRing([backend], new KeyPolicy(keys));
  await assert.rejects(
    openDocument(file, { file: "app.enc.yaml", keys: policyRing }),
    refused(/kms arn:aws:kms:attacker\.example\/:1:key\/x: .*is not an AWS region/),
  );
  assert.deepEqual(attempts, []);
  assert.equal(attacker.connections(), 0);
});

test("a KMS entry may not pick a role or a credentials profile the operator did not allow for its key", async () => {
  const ringWithKms = ring();
  for (const extra of [{ role: "arn:aws:iam::111122223333:role/admin" }, { aws_profile: "payments" }]) {
    const before = kms.requests.length;
    await assert.rejects(
      ringWithKms.wrap(new Uint8Array(32), [[{ type: "kms", arn, ...extra }]], new Date()),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, "SLIPWAY_E_KEY_NOT_ALLOWED");
        assert.match(error.message, /(role|AWS profile) .* is not one the operator allows for this key/);
        return true;
      },
    );
    assert.deepEqual(kms.requests.slice(before), [], "no AssumeRole, no KMS call");
  }
  const before = kms.requests.length;
  await ringWithKms.wrap(new Uint8Array(32), [[{ type: "kms", arn }]], new Date());
  assert.equal(kms.requests.length, before + 1, "the allowed key itself still works");
});

test("an allowed service's error body is never echoed, and its redirect is not followed", async () => {
  const { key, cert } = testCertificate();
  const leaky = createHttpsServer({ key, cert }, (req, res) => {
    if (req.url?.includes("/decrypt/")) {
      res.writeHead(307, { location: `http://127.0.0.1:${attacker.port}/steal` });
      return res.end();
    }
    res.writeHead(500, { "content-type": "application/json" });
    res.end(JSON.stringify({ errors: ["postgres://vault:db-password-42@10.0.0.7/vault failed"] }));
  });
  await new Promise<void>((resolve) => leaky.listen(0, "127.0.0.1", resolve));
  after(() => new Promise((r) => leaky.close(r)));
  const address = `https://127.0.0.1:${(leaky.address() as AddressInfo).port}`;
  const leakyRing = keyRingFromEnv(env, {
    keys: { vault: [{ address, engine_path: "transit", key_name: "cart", teams: ["commerce"] }] },
  });
  const spec = {
    type: "hc_vault" as const,
    vault_address: address,
    engine_path: "transit",
    key_name: "cart",
  };
  await assert.rejects(leakyRing.wrap(new Uint8Array(32), [[spec]], new Date()), (error: Error) => {
    assert.match(error.message, /Vault transit answered 500: internal error$/);
    assert.ok(!JSON.stringify(error).includes("db-password-42"), "nothing of the body");
    return true;
  });
  const entry = { ...spec, created_at: "", enc: "vault:v1:AAAA" };
  const metadata = { keyGroups: [[entry]], lastModified: "", mac: "" } as never;
  await assert.rejects(
    leakyRing.unwrapDataKey(metadata, "app.enc.yaml"),
    (error: Error & { problems?: readonly { message: string }[] }) => {
      assert.match(
        error.problems?.[0]?.message ?? "",
        /Vault transit answered 307: a redirect, not followed/,
      );
      return true;
    },
  );
  assert.equal(attacker.connections(), 0, "the redirect target heard nothing");
});

test("ARN and Vault path grammar", () => {
  for (const good of [
    arn,
    "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef",
    "arn:aws-cn:kms:cn-north-1:111122223333:alias/team/cart",
  ]) {
    assert.equal(typeof parseKmsArn(good), "object", good);
  }
  assert.equal(
    (parseKmsArn("arn:aws-cn:kms:cn-north-1:111122223333:alias/x") as { host: string }).host,
    "kms.cn-north-1.amazonaws.com.cn",
  );
  for (const bad of [
    "arn:aws:kms:attacker.example/:1:key/x",
    "arn:aws:kms:eu-west-1:111122223333:key/x",
    "arn:aws:kms:eu-west-1@evil:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:kms:eu-west-1:1111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:evil:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    `${arn}:extra`,
  ]) {
    assert.equal(typeof parseKmsArn(bad), "string", bad);
  }
  assert.equal(vaultPathProblem("transit/team-a", "cart_v2.1"), undefined);
  for (const [path, name] of [
    ["auth/token/revoke-self#", "k"],
    ["transit", "../../../sys/seal?x="],
    ["transit/..", "k"],
    ["", "k"],
    ["transit", "a%2fb"],
    ["transit//x", "k"],
  ] as const) {
    assert.equal(typeof vaultPathProblem(path, name), "string", `${path} ${name}`);
  }
});
