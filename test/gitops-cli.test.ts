/**
 * `slipway deploy` and `slipway diff` in-process against a GitOps cluster of the platform file:
 * an example app, a checkout Slipway creates, and a bare remote that receives the pushes.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { memoryIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import { AgeKeyBackend } from "../src/secrets/backends/age.ts";
import { encryptDocument } from "../src/secrets/format/sops-file.ts";
import { KeyRing } from "../src/secrets/key-ring.ts";
import { peerPath } from "../src/testing/peers.ts";
import { gitKilledAt } from "./support/gitops-repos.ts";

const REPO = "registry.example.com/commerce/cart";
const image = (hex: string) => `${REPO}@sha256:${hex.repeat(64)}`;
const CANARY = "canary-5d1e-never-in-git";
/** One age key plays both the developer's key (opens the app's file) and Flux's (the GitOps recipient). */
const identity = await generateIdentity();
const recipient = await identityToRecipient(identity);
const env = { SOPS_AGE_KEY: identity };

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();
}

/**
 * The cart example with its SOPS-encrypted secret file, a platform file whose channels live in a
 * GitOps repository (whose Secrets are sealed for `recipient` unless `sops` is false), and the
 * repository's bare remote.
 */
async function workspace(
  options: { sops?: boolean } = {},
): Promise<{ dir: string; app: string; platform: string; remote: string; checkout: string }> {
  const dir = mkdtempSync(join(tmpdir(), "slipway-deploy-"));
  const app = join(dir, "cart");
  cpSync(join(import.meta.dirname, "../examples/cart"), app, { recursive: true });
  mkdirSync(join(app, "secrets"), { recursive: true });
  const secretFile = await encryptDocument(new TextEncoder().encode(`MYSQL_PASSWORD: ${CANARY}\n`), {
    file: "secrets/develop.enc.yaml",
    keyGroups: [[{ type: "age", recipient }]],
    keys: new KeyRing([new AgeKeyBackend([identity])]),
    now: new Date("2026-11-23T12:00:00Z"),
  });
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
      `    gitops: { directory: gitops, remote: ${JSON.stringify(remote)}, branch: main${
        options.sops === false ? "" : `, sops: { age: [${recipient}] }`
      } }`,
      "channels:",
      "  - { name: develop, cluster: local, domain: develop.apps.example.com }",
      "  - { name: stable, cluster: local, domain: apps.example.com }",
      "teams:",
      "  - name: commerce",
      "",
    ].join("\n"),
  );
  return { dir, app, platform, remote, checkout: join(dir, "gitops") };
}

/** The app, the develop channel and the platform of a workspace: the flags every command here takes. */
function developFlags(ws: { app: string; platform: string }): string[] {
  return ["--app", ws.app, "--target", "develop", "--platform", ws.platform];
}

async function run(...argv: string[]) {
  const io = memoryIo({ env });
  const code = await main(argv, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

test("deploy commits the rendered app into <target>/<app>/ and pushes it, with plain progress lines", async () => {
  const ws = await workspace();
  const deploy = await run("deploy", ...developFlags(ws), "--image", image("b"), "--commit", "f00dfeed");

  assert.equal(deploy.code, 0, deploy.stderr);
  assert.match(
    deploy.stdout,
    /^deploying cart → develop \(GitOps repository .*gitops \(main\)\): 9 objects$/m,
  );
  assert.match(deploy.stdout, /^\[\d+\.\ds\] create Deployment\/cart-develop\/cart$/m);
  assert.match(deploy.stdout, /^\[\d+\.\ds\] committed [0-9a-f]{12} and pushed$/m);
  assert.match(deploy.stdout, /^9 created, 0 updated, 0 deleted, 0 unchanged in \d+\.\ds$/m);
  assert.ok(!deploy.stdout.includes("\u001b["), "no terminal: no escape sequences");

  assert.equal(
    git(ws.remote, "log", "-1", "--format=%s", "main"),
    `deploy cart to develop: ${image("b")} (commit f00dfeed)`,
  );
  const files = git(ws.remote, "ls-tree", "-r", "--name-only", "main").split("\n");
  assert.ok(files.includes("develop/cart/deployment-cart.yaml"), files.join(", "));
  assert.match(
    git(ws.remote, "show", "main:develop/cart/deployment-cart.yaml"),
    new RegExp(`image: ${image("b").replace(/\./g, "\\.")}`),
  );

  const again = await run("deploy", ...developFlags(ws), "--image", image("b"), "--wait");
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /note: a GitOps target cannot wait for the rollout/);
  assert.match(again.stdout, /nothing to change \(0 created, 0 updated, 0 deleted, 9 unchanged\)/);
  assert.equal(git(ws.remote, "rev-list", "--count", "main"), "1");
});

test("diff shows a unified diff per changed object and --exit-code reports that something would change", async () => {
  const ws = await workspace();
  await run("deploy", ...developFlags(ws), "--image", image("b"));

  const same = await run("diff", ...developFlags(ws), "--image", image("b"), "--exit-code");
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /^no changes in GitOps repository .* \(9 objects unchanged\)$/m);

  const changed = await run("diff", ...developFlags(ws), "--image", image("c"), "--exit-code");
  assert.equal(changed.code, 1, changed.stderr);
  assert.match(
    changed.stdout,
    /^--- a\/Deployment\/cart-develop\/cart\n\+\+\+ b\/Deployment\/cart-develop\/cart$/m,
  );
  assert.match(
    changed.stdout,
    new RegExp(
      `^-\\s+image: ${REPO.replace(/\./g, "\\.")}@sha256:b{64}\\n\\+\\s+image: ${REPO.replace(/\./g, "\\.")}@sha256:c{64}$`,
      "m",
    ),
  );
  assert.equal(git(ws.checkout, "rev-list", "--count", "HEAD"), "1", "diff writes nothing");
});

test("deploy --dry-run prints the plan and writes nothing; --output json is data", async () => {
  const ws = await workspace();
  const dry = await run("deploy", ...developFlags(ws), "--image", image("b"), "--dry-run");
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^--- \/dev\/null\n\+\+\+ b\/Deployment\/cart-develop\/cart$/m);
  assert.match(dry.stdout, /9 to create, 0 to update, 0 to delete, 0 unchanged$/m);
  assert.equal(git(ws.remote, "rev-list", "--all", "--count"), "0");

  const deploy = await run("deploy", ...developFlags(ws), "--image", image("b"), "--output", "json");
  assert.equal(deploy.code, 0, deploy.stderr);
  const result = JSON.parse(deploy.stdout) as {
    wrote: boolean;
    revision: string;
    changes: { action: string }[];
  };
  assert.equal(result.wrote, true);
  assert.equal(result.revision, git(ws.remote, "rev-parse", "main"));
  assert.equal(result.changes.filter((c) => c.action === "create").length, 9);
});

test("deploy refuses an image that is not pinned by digest", async () => {
  const ws = await workspace();
  const deploy = await run("deploy", ...developFlags(ws), "--image", `${REPO}:latest`);
  assert.equal(deploy.code, 2);
  assert.match(deploy.stderr, /--image must be pinned by digest/);
});

test("--rollback-on-failure is refused without --wait, and on a GitOps target points to git revert", async () => {
  const ws = await workspace();
  const noWait = await run("deploy", ...developFlags(ws), "--image", image("b"), "--rollback-on-failure");
  assert.equal(noWait.code, 2);
  assert.match(noWait.stderr, /^error: --rollback-on-failure needs --wait/m);

  const gitops = await run(
    "deploy",
    ...developFlags(ws),
    "--image",
    image("b"),
    "--wait",
    "--rollback-on-failure",
  );
  assert.equal(gitops.code, 2);
  assert.match(
    gitops.stderr,
    /^error: --rollback-on-failure works only on a cluster target; develop deploys to the GitOps repository .*gitops \(main\), whose GitOps controller applies each commit later/m,
  );
  assert.match(gitops.stderr, /reverting the deploy's commit \(git revert\)/);
  assert.equal(git(ws.remote, "rev-list", "--all", "--count"), "0", "nothing is committed or pushed");
});

test("a Secret reaches the repository SOPS-encrypted for the platform's recipients, and only once", async () => {
  const ws = await workspace();
  const deploy = await run("deploy", ...developFlags(ws), "--image", image("b"));
  assert.equal(deploy.code, 0, deploy.stderr);

  const secret = readFileSync(join(ws.checkout, "develop/cart/secret-cart-app.yaml"), "utf8");
  assert.match(secret, /^ {2}MYSQL_PASSWORD: ENC\[AES256_GCM,data:/m);
  assert.match(secret, new RegExp(`recipient: ${recipient}`));
  assert.ok(!git(ws.remote, "log", "-p", "main").includes(CANARY), "no plaintext in the pushed history");
  // What Flux would do: the real sops opens the committed file (key order kept, so the MAC holds).
  const opened = execFileSync(
    peerPath("sops"),
    ["decrypt", "--input-type", "yaml", "--output-type", "yaml", "develop/cart/secret-cart-app.yaml"],
    { cwd: ws.checkout, encoding: "utf8", env: { ...process.env, SOPS_AGE_KEY: identity } },
  );
  assert.match(opened, new RegExp(`^ +MYSQL_PASSWORD: ${Buffer.from(CANARY).toString("base64")}$`, "m"));
  assert.ok(!git(ws.remote, "log", "-p", "main").includes(Buffer.from(CANARY).toString("base64")));

  const diff = await run("diff", ...developFlags(ws), "--image", image("b"), "--exit-code");
  assert.equal(diff.code, 0, `an unchanged secret is no change:\n${diff.stdout}`);
  const again = await run("deploy", ...developFlags(ws), "--image", image("b"));
  assert.match(again.stdout, /nothing to change/);
  assert.equal(git(ws.remote, "rev-list", "--count", "main"), "1");
});

test("without SOPS recipients for the repository, a deploy with secrets is refused and nothing is pushed", async () => {
  const ws = await workspace({ sops: false });
  const deploy = await run("deploy", ...developFlags(ws), "--image", image("b"));
  assert.equal(deploy.code, 1);
  assert.match(
    deploy.stderr,
    /refusing to write plaintext secret values into the GitOps repository: Secret\/cart-develop\/cart-app \(data\.MYSQL_PASSWORD\)/,
  );
  assert.ok(!deploy.stderr.includes(CANARY) && !deploy.stdout.includes(CANARY));
  assert.equal(git(ws.remote, "rev-list", "--all", "--count"), "0");
});

test("diff and deploy refuse a checkout holding someone's uncommitted work, list it, and keep it", async () => {
  const ws = await workspace();
  await run("deploy", ...developFlags(ws), "--image", image("b"));
  writeFileSync(join(ws.checkout, "NOTES.md"), "half-written runbook\n");
  git(ws.checkout, "add", "NOTES.md");

  for (const argv of [
    ["diff", ...developFlags(ws), "--image", image("c")],
    ["deploy", ...developFlags(ws), "--image", image("c")],
    ["deploy", ...developFlags(ws), "--image", image("c"), "--dry-run"],
  ]) {
    const result = await run(...argv);
    assert.equal(result.code, 1, argv.join(" "));
    assert.match(result.stderr, /has uncommitted changes.*\n {2}A {2}NOTES\.md\n/);
    assert.doesNotMatch(result.stderr, /someone else/);
    assert.equal(git(ws.checkout, "status", "--porcelain"), "A  NOTES.md");
    assert.equal(readFileSync(join(ws.checkout, "NOTES.md"), "utf8"), "half-written runbook\n");
  }
  assert.equal(git(ws.remote, "rev-list", "--count", "main"), "1");
});

test("a deploy killed before its commit: diff --exit-code reports the change and the next deploy lands it", async () => {
  const ws = await workspace();
  await run("deploy", ...developFlags(ws), "--image", image("b"));
  const main = join(import.meta.dirname, "../src/cli/main.ts");
  const killed = spawnSync(process.execPath, [main, "deploy", ...developFlags(ws), "--image", image("c")], {
    env: { ...process.env, ...env, PATH: `${gitKilledAt("commit")}:${process.env.PATH}` },
    encoding: "utf8",
  });
  assert.equal(killed.signal, "SIGKILL", killed.stderr);
  assert.match(readFileSync(join(ws.checkout, "develop/cart/deployment-cart.yaml"), "utf8"), /@sha256:c{64}/);

  const diff = await run("diff", ...developFlags(ws), "--image", image("c"), "--exit-code");
  assert.equal(diff.code, 1, diff.stdout);
  assert.match(diff.stdout, /^\+\s+image: .*@sha256:c{64}$/m);

  const deploy = await run("deploy", ...developFlags(ws), "--image", image("c"));
  assert.equal(deploy.code, 0, deploy.stderr);
  assert.doesNotMatch(deploy.stdout, /nothing to change/);
  assert.match(
    deploy.stdout,
    /note: deploy cart to develop \(started .*\) was interrupted before its commit/,
  );
  assert.match(deploy.stdout, /^0 created, 8 updated, 0 deleted, 1 unchanged in/m);
  assert.match(git(ws.remote, "show", "main:develop/cart/deployment-cart.yaml"), /@sha256:c{64}/);
  assert.equal(git(ws.checkout, "status", "--porcelain"), "");
});

test("after one secret value changes, diff marks only that key and not the SOPS block it is re-sealed with", async () => {
  const ws = await workspace();
  const file = join(ws.app, "secrets/develop.enc.yaml");
  writeFileSync(
    file,
    await encryptDocument(new TextEncoder().encode(`MYSQL_PASSWORD: ${CANARY}\nAPI_KEY: abc\nTOKEN: xyz\n`), {
      file: "secrets/develop.enc.yaml",
      keyGroups: [[{ type: "age", recipient }]],
      keys: new KeyRing([new AgeKeyBackend([identity])]),
      now: new Date("2026-11-23T12:00:00Z"),
    }),
  );
  assert.equal((await run("deploy", ...developFlags(ws), "--image", image("b"))).code, 0);

  const io = memoryIo({ env, stdin: "rotated-api-key" });
  assert.equal(await main(["secrets", "set", file, '["API_KEY"]'], io), 0, io.stderr());
  const diff = await run("diff", ...developFlags(ws), "--image", image("b"), "--exit-code");

  assert.equal(diff.code, 1, diff.stderr);
  assert.match(diff.stdout, /^-\s+API_KEY: <redacted>\n\+\s+API_KEY: <redacted, changed>$/m);
  assert.doesNotMatch(diff.stdout, /^[-+]\s+(MYSQL_PASSWORD|TOKEN):/m, "the other keys did not change");
  assert.doesNotMatch(
    diff.stdout,
    /^[-+].*(BEGIN AGE ENCRYPTED FILE|mac: ENC|lastmodified|enc: )/m,
    "the SOPS block's new data key, MAC and time are not changes a reviewer can read",
  );
  assert.ok(!diff.stdout.includes(CANARY) && !diff.stdout.includes("rotated-api-key"));
});
