/**
 * `slipway validate` answers for every channel: an app that `render --target stable` would block
 * is not ok, and says what blocks where; a secret file slipway.yaml names but that is missing is
 * reported at the line that names it.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { memoryIo } from "../io.ts";
import { main } from "../main.ts";

const PLATFORM = `apiVersion: slipway.dev/v1
kind: Platform
clusters:
  - { name: local, gitops: { directory: gitops } }
channels:
  - { name: develop, cluster: local, domain: develop.example.com, policy: { mode: warn } }
  - { name: stable, cluster: local, domain: example.com, production: true, policy: { mode: enforce } }
`;

const BARE = `apiVersion: slipway.dev/v1
kind: App
name: cart
team: shop
image: { repository: registry.example.com/cart, tag: "1" }
ports: [{ name: http, port: 8080 }]
`;

const SOUND = `${BARE}replicas: 2
health: { readiness: { http: { path: /ready } } }
resources:
  requests: { cpu: 100m, memory: 128Mi }
  limits: { memory: 256Mi }
`;

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-validate-policy-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

async function validate(dir: string, ...extra: string[]) {
  const io = memoryIo({ cwd: dir });
  const code = await main(["validate", "--app", dir, "--platform", join(dir, "platform.yaml"), ...extra], io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

test("an app stable's policy blocks is not ok: validate names the channel and what blocks (exit 1)", async () => {
  const dir = workspace({ "slipway.yaml": BARE, "platform.yaml": PLATFORM });
  const result = await validate(dir);
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    result.stderr,
    /policy blocks stable \(enforce\): Deployment\/cart-stable\/cart spec\.replicas: .*\[replicas-production\]/,
  );
  assert.doesNotMatch(result.stderr, /policy blocks develop/, "warn mode reports, it does not block");
  const json = JSON.parse((await validate(dir, "--output", "json")).stdout) as {
    valid: boolean;
    policy: { target: string; mode: string; passed: boolean; blocking: number }[];
  };
  assert.equal(json.valid, false);
  assert.deepEqual(
    json.policy.map((p) => [p.target, p.mode, p.passed]),
    [
      ["develop", "warn", true],
      ["stable", "enforce", false],
    ],
  );
});

test("an app every channel lets through is ok, with a line per channel", async () => {
  const dir = workspace({ "slipway.yaml": SOUND, "platform.yaml": PLATFORM });
  const result = await validate(dir);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^ok: /);
  assert.match(result.stdout, /\npolicy: develop ok \(warn.*\), stable ok \(enforce.*\)\n$/);
});

test("a problem in the file is still an input error (exit 2), reported with what policy blocks", async () => {
  const dir = workspace({ "slipway.yaml": `${SOUND}replcas: 3\n`, "platform.yaml": PLATFORM });
  const result = await validate(dir);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /replcas: unknown field/);
});

test("a missing secret file is reported at the secrets[].file entry that names it, in overrides too", async () => {
  const body = `${SOUND}secrets:
  - { name: app, file: secrets/app.enc.yaml }
  - { name: db, file: secrets/db.enc.yaml }
environments:
  stable:
    secrets:
      - { name: app, file: secrets/app.stable.enc.yaml }
`;
  const dir = workspace({
    "slipway.yaml": body,
    "platform.yaml": PLATFORM,
    "secrets/app.enc.yaml": "x: y\n",
  });
  const result = await validate(dir);
  assert.equal(result.code, 2, result.stderr);
  const lines = body.split("\n");
  const lineOf = (text: string) => lines.findIndex((l) => l.includes(text)) + 1;
  assert.match(
    result.stderr,
    new RegExp(
      `slipway\\.yaml:${lineOf("secrets/db.enc.yaml")}:\\d+ secrets\\[1\\]\\.file: secret file secrets/db\\.enc\\.yaml does not exist`,
    ),
  );
  assert.match(
    result.stderr,
    new RegExp(
      `slipway\\.yaml:${lineOf("app.stable.enc.yaml")}:\\d+ environments\\.stable\\.secrets\\[0\\]\\.file: secret file secrets/app\\.stable\\.enc\\.yaml does not exist`,
    ),
  );
  assert.doesNotMatch(
    result.stderr,
    /secrets\[0\]\.file: secret file secrets\/app\.enc\.yaml/,
    "that one is there",
  );
});
