/** `slipway validate` as a user runs it: every problem of both files in one run, one exit code. */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { memoryIo } from "../io.ts";
import { main } from "../main.ts";

async function run(argv: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const io = memoryIo(options);
  const code = await main(argv, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

const PLATFORM = `apiVersion: slipway.dev/v1
kind: Platform
clusters:
  - name: local
    gitops: { directory: gitops }
channels:
  - { name: develop, cluster: local, domain: develop.example.com }
  - { name: stable, cluster: local, domain: example.com, production: true }
teams:
  - name: commerce
`;

const NINE_PROBLEMS = `apiVersion: slipway.dev/v1
kind: App
name: cart
team: comerce
image: { repository: registry.example.com/cart, tag: "1" }
replcas: 2
ports:
  - { name: http, port: 8080 }
resources:
  requests: { cpu: 500m, memory: 1Gi }
  limits: { cpu: 250m, memory: 512Mi }
serviceAccount: { name: finance-runner }
configFiles:
  - { path: /etc/big, content: "${"x".repeat(1_100_000)}" }
health:
  readiness: { http: { path: /ready, port: grpc } }
routes:
  - host: "*.example.com"
environments:
  stable:
    replicas: many
`;

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-validate-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test("validate reports the problems of every stage in one run and exits 2", async () => {
  const dir = workspace({ "slipway.yaml": NINE_PROBLEMS, "platform.yaml": PLATFORM });
  const result = await run(["validate", "--app", dir, "--platform", join(dir, "platform.yaml")]);
  assert.equal(result.code, 2, result.stderr);
  for (const expected of [
    /slipway\.yaml:4:7 team: team `comerce` is not one of the platform's teams \(did you mean `commerce`\?\)/,
    /slipway\.yaml:6:1 replcas: unknown field/,
    /slipway\.yaml:11:\d+ resources\.limits\.cpu: limit 250m is below the request 500m/,
    /slipway\.yaml:11:\d+ resources\.limits\.memory: limit 512Mi is below the request 1Gi/,
    /slipway\.yaml:12:\d+ serviceAccount\.name: `finance-runner` is not this app's account/,
    /slipway\.yaml:14:\d+ configFiles: config files hold 1,100,000 bytes in all; a ConfigMap holds at most 1,048,576/,
    /slipway\.yaml:16:\d+ health\.readiness\.http\.port: names port `grpc`/,
    /slipway\.yaml:18:\d+ routes\[0\]\.host: wildcard host `\*\.example\.com` needs a grant/,
    /slipway\.yaml:21:\d+ environments\.stable\.replicas: must be a number/,
  ]) {
    assert.match(result.stderr, expected);
  }
  const json = await run([
    "validate",
    "--app",
    dir,
    "--platform",
    join(dir, "platform.yaml"),
    "--output",
    "json",
  ]);
  assert.equal(json.code, 2);
  assert.ok((JSON.parse(json.stdout) as { problems: unknown[] }).problems.length >= 9);
});

test("a broken platform file and a broken app are both reported", async () => {
  const dir = workspace({
    "slipway.yaml": NINE_PROBLEMS.replace("replcas", "replicas"),
    "platform.yaml": PLATFORM.replace(
      "cluster: local, domain: example.com",
      "cluster: locl, domain: example.com",
    ),
  });
  const result = await run(["validate", "--app", dir, "--platform", join(dir, "platform.yaml")]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /platform\.yaml:8:\d+ channels\[1\]\.cluster: cluster `locl` is not defined/);
  assert.match(result.stderr, /slipway\.yaml:21:\d+ environments\.stable\.replicas: must be a number/);
});

test("validate without --app checks the platform file in the working directory", async () => {
  const broken = workspace({ "slipway.platform.yaml": PLATFORM.replace("teams:", "teamz:") });
  const result = await run(["validate"], { cwd: broken });
  assert.equal(result.code, 2, result.stdout);
  assert.match(result.stderr, /slipway\.platform\.yaml:9:1 teamz: unknown field `teamz`/);
  const fine = workspace({ "slipway.platform.yaml": PLATFORM });
  const ok = await run(["validate"], { cwd: fine });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^ok: .*slipway\.platform\.yaml/);
});

test("a spec that is not UTF-8 is an input error naming the byte", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-validate-"));
  writeFileSync(
    join(dir, "slipway.yaml"),
    Buffer.concat([
      Buffer.from('apiVersion: slipway.dev/v1\nkind: App\nname: cafe\nteam: t\ndescription: "Caf'),
      Buffer.from([0xe9]),
      Buffer.from('"\nimage: { repository: r.example.com/cafe, tag: "1" }\n'),
    ]),
  );
  const result = await run(["validate", "--app", dir]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /slipway\.yaml:5:18 byte 0xE9 at offset 73 is not UTF-8/);
});

test("a problem of slipway.yaml that only rendering finds exits 2 in render and deploy, as in validate", async () => {
  const dir = workspace({
    "slipway.yaml": `apiVersion: slipway.dev/v1
kind: App
name: cart
team: commerce
image: { repository: registry.example.com/cart, tag: "1" }
ports:
  - { name: http, port: 8080 }
routes:
  - port: http
`,
    // develop has no domain, so the route has no host: the renderer, not the schema, finds it.
    "platform.yaml": PLATFORM.replace(", domain: develop.example.com", ""),
  });
  const flags = ["--app", dir, "--platform", join(dir, "platform.yaml"), "--target", "develop"];
  const image = `registry.example.com/cart@sha256:${"a".repeat(64)}`;
  for (const argv of [
    ["validate", "--app", dir, "--platform", join(dir, "platform.yaml")],
    ["render", ...flags],
    ["deploy", ...flags, "--image", image, "--dry-run"],
  ]) {
    const result = await run(argv, { cwd: dir });
    assert.equal(result.code, 2, `${argv.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, /slipway\.yaml:9:5 routes\[0\]\.host: needs a host/, argv.join(" "));
  }
});
