/**
 * One Slipway, two teams, one key ring holding both teams' age identities: a deploy of team
 * commerce's app opens only files wrapped for commerce's keys. Team payments' encrypted file,
 * copied byte for byte into commerce's `cart` (or with its recipient label rewritten to
 * commerce's), is refused before anything is written, naming the file, the team and the foreign
 * recipient, and no value reaches the GitOps repository or the output.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { memoryIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import { AgeKeyBackend } from "../src/secrets/backends/age.ts";
import { startVaultTransitStandIn } from "../src/secrets/backends/stand-ins.ts";
import { VaultTransitKeyBackend } from "../src/secrets/backends/vault-transit.ts";
import { encryptDocument } from "../src/secrets/format/sops-file.ts";
import { KeyRing } from "../src/secrets/key-ring.ts";

const image = `registry.example.com/commerce/cart@sha256:${"b".repeat(64)}`;
const [commerceId, paymentsId, fluxId] = await Promise.all([
  generateIdentity(),
  generateIdentity(),
  generateIdentity(),
]);
const [commerce, payments, flux] = (await Promise.all(
  [commerceId, paymentsId, fluxId].map((id) => identityToRecipient(id)),
)) as [string, string, string];
const PAYMENTS_CANARY = "payments-canary-7c1f-never-in-cart";
/** The server holds every team's identity: the ring alone separates nothing. */
const env = { SOPS_AGE_KEY: `${commerceId}\n${paymentsId}\n` };

async function sealFor(recipient: string, text: string): Promise<string> {
  return encryptDocument(new TextEncoder().encode(text), {
    file: "secrets/develop.enc.yaml",
    keyGroups: [[{ type: "age", recipient }]],
    keys: new KeyRing([new AgeKeyBackend([])]),
    now: new Date("2026-11-23T12:00:00Z"),
  });
}

/** commerce's cart with `secretFile` as its develop secrets, on a two-team platform with a GitOps cluster. */
function workspace(secretFile: string, options: { keys?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "slipway-key-tenancy-"));
  const app = join(dir, "cart");
  cpSync(join(import.meta.dirname, "../examples/cart"), app, { recursive: true });
  mkdirSync(join(app, "secrets"), { recursive: true });
  writeFileSync(join(app, "secrets/develop.enc.yaml"), secretFile);
  const remote = join(dir, "gitops.git");
  execFileSync("git", ["init", "-q", "--bare", "-b", "main", remote]);
  const platform = join(dir, "slipway.platform.yaml");
  writeFileSync(
    platform,
    [
      "apiVersion: slipway.dev/v1",
      "kind: Platform",
      "clusters:",
      "  - name: local",
      `    gitops: { directory: gitops, remote: ${JSON.stringify(remote)}, branch: main, sops: { age: [${flux}] } }`,
      "channels:",
      "  - { name: develop, cluster: local, domain: develop.apps.example.com }",
      "  - { name: stable, cluster: local, domain: apps.example.com }",
      "teams:",
      "  - name: commerce",
      "  - name: payments",
      ...(options.keys === false
        ? []
        : [
            "keys:",
            "  age:",
            `    - { recipient: ${commerce}, teams: [commerce] }`,
            `    - { recipient: ${payments}, teams: [payments] }`,
          ]),
      "",
    ].join("\n"),
  );
  return { app, platform, remote };
}

async function deploy(ws: { app: string; platform: string }) {
  const io = memoryIo({ env });
  const argv = [
    "deploy",
    "--app",
    ws.app,
    "--target",
    "develop",
    "--platform",
    ws.platform,
    "--image",
    image,
  ];
  const code = await main(argv, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

const commits = (remote: string) =>
  execFileSync("git", ["-C", remote, "rev-list", "--all", "--count"]).toString().trim();

test("commerce's own file deploys into commerce's app", async () => {
  const ws = workspace(await sealFor(commerce, "MYSQL_PASSWORD: commerce-own\n"));
  const result = await deploy(ws);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(commits(ws.remote), "1");
});

test("payments' file copied byte for byte into commerce's app is refused, naming file, team and recipient", async () => {
  const ws = workspace(await sealFor(payments, `MYSQL_PASSWORD: ${PAYMENTS_CANARY}\n`));
  const result = await deploy(ws);
  assert.equal(result.code, 2, result.stdout);
  assert.match(result.stderr, /secrets\/develop\.enc\.yaml: refused/);
  assert.match(result.stderr, /for team commerce \(app cart\)/);
  assert.ok(result.stderr.includes(`age ${payments}: not a key of team commerce`), result.stderr);
  assert.match(result.stderr, /no key service was contacted/);
  assert.equal(commits(ws.remote), "0", "nothing was committed or pushed");
  assert.ok(!`${result.stdout}${result.stderr}`.includes(PAYMENTS_CANARY));
});

test("relabelling payments' entry with commerce's recipient does not open it: only commerce's identities are tried", async () => {
  const sealed = await sealFor(payments, `MYSQL_PASSWORD: ${PAYMENTS_CANARY}\n`);
  const ws = workspace(sealed.replace(`recipient: ${payments}`, `recipient: ${commerce}`));
  const result = await deploy(ws);
  assert.notEqual(result.code, 0, result.stdout);
  assert.match(result.stderr, /secrets\/develop\.enc\.yaml: no master key could unwrap the data key/);
  assert.equal(commits(ws.remote), "0");
  assert.ok(!`${result.stdout}${result.stderr}`.includes(PAYMENTS_CANARY));
});

test("a platform shared by two teams that lists no keys opens no file for a deploy", async () => {
  const ws = workspace(await sealFor(payments, `MYSQL_PASSWORD: ${PAYMENTS_CANARY}\n`), { keys: false });
  const result = await deploy(ws);
  assert.equal(result.code, 2, result.stdout);
  assert.match(result.stderr, /shared by several teams and lists no keys:/);
  assert.equal(commits(ws.remote), "0");
  assert.ok(!`${result.stdout}${result.stderr}`.includes(PAYMENTS_CANARY));
});

test("secrets decrypt: a file's hc_vault entry selects among the operator's Vault keys and sends the token nowhere else", async () => {
  const token = "s.ci-token";
  const vault = await startVaultTransitStandIn(token);
  let heard = 0;
  const attacker = createServer((socket) => {
    heard += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  after(() => Promise.all([vault.close(), new Promise((r) => attacker.close(r))]));
  const dir = mkdtempSync(join(tmpdir(), "slipway-key-tenancy-cli-"));
  const platform = join(dir, "platform.yaml");
  writeFileSync(
    platform,
    [
      "apiVersion: slipway.dev/v1",
      "kind: Platform",
      "clusters: [{ name: local, gitops: { directory: gitops } }]",
      "teams: [{ name: commerce }]",
      "keys:",
      `  vault: [{ address: ${vault.url}, engine_path: transit, key_name: cart, teams: [commerce] }]`,
      "",
    ].join("\n"),
  );
  const key = { address: vault.url, engine_path: "transit", key_name: "cart", teams: ["commerce"] };
  const sealed = await encryptDocument(new TextEncoder().encode("password: from-vault\n"), {
    file: "app.enc.yaml",
    keyGroups: [[{ type: "hc_vault", vault_address: vault.url, engine_path: "transit", key_name: "cart" }]],
    keys: new KeyRing([new VaultTransitKeyBackend({ token, allowed: [key] })]),
    now: new Date("2026-11-23T12:00:00Z"),
  });
  const decrypt = async (text: string) => {
    const file = join(dir, "app.enc.yaml");
    writeFileSync(file, text);
    const io = memoryIo({ env: { SLIPWAY_PLATFORM: platform, VAULT_TOKEN: token, HOME: dir }, cwd: dir });
    const code = await main(["secrets", "decrypt", file], io);
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  };
  const ok = await decrypt(sealed);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, "password: from-vault\n");

  const port = (attacker.address() as AddressInfo).port;
  const before = vault.requests.length;
  const evil = await decrypt(
    sealed.replace(`vault_address: ${vault.url}`, `vault_address: https://127.0.0.1:${port}`),
  );
  assert.equal(evil.code, 2, evil.stdout);
  assert.match(evil.stderr, /app\.enc\.yaml: refused/);
  assert.match(evil.stderr, /not a Vault key the operator allows; an operator adds .* under keys\.vault/);
  assert.equal(heard, 0, "the address the file named heard nothing");
  assert.equal(vault.requests.length, before);
});
