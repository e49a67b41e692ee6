/** The spec commands as a user runs them: init, validate, render and export, with their exit codes. */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { memoryIo } from "../io.ts";
import { main } from "../main.ts";

const examples = new URL("../../../examples/", import.meta.url).pathname;

async function run(argv: string[], options: { cwd?: string } = {}) {
  const io = memoryIo(options.cwd ? { cwd: options.cwd } : {});
  const code = await main(argv, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-init-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

test("init detects a Node project's port and start command and writes a valid spec", async () => {
  const dir = project({
    "package.json": JSON.stringify({ name: "@shop/checkout", scripts: { start: "node src/server.js" } }),
    "src/server.js": "const port = process.env.PORT || 4100;\napp.listen(port);\n",
  });
  const result = await run(["init", dir, "--team", "commerce"]);
  assert.equal(result.code, 0, result.stderr);
  const spec = readFileSync(join(dir, "slipway.yaml"), "utf8");
  assert.match(spec, /^name: checkout$/m);
  assert.match(spec, /port: 4100/);
  assert.match(spec, /command: \["node", "src\/server.js"\]/);
  assert.equal((await run(["validate", "--app", dir])).code, 0);
  const again = await run(["init", dir]);
  assert.equal(again.code, 2, "refuses to overwrite without --force");
  assert.match(again.stderr, /already exists; pass --force/);
});

test("init detects Rails, Spring Boot and ASP.NET ports (ASP.NET containers listen on 8080)", async () => {
  const rails = project({ Gemfile: "gem 'rails'\n", "config/puma.rb": 'port ENV.fetch("PORT") { 3300 }\n' });
  const spring = project({
    "pom.xml": "<project><artifactId>ledger</artifactId></project>",
    "src/main/resources/application.properties": "server.port=8181\n",
  });
  const dotnet = project({
    "Rates.csproj": "<Project/>",
    "Properties/launchSettings.json": '{"profiles":{"x":{"applicationUrl":"http://localhost:5080"}}}',
  });
  for (const [dir, port, command] of [
    [rails, 3300, /rails", "server/],
    [spring, 8181, /java", "-jar/],
    [dotnet, 8080, /dotnet", "Rates.dll/],
  ] as const) {
    assert.equal((await run(["init", dir])).code, 0);
    const spec = readFileSync(join(dir, "slipway.yaml"), "utf8");
    assert.match(spec, new RegExp(`port: ${port}`));
    assert.match(spec, command);
  }
});

test("validate reports every problem with its position and exits 2; --output json gives them as data", async () => {
  const dir = project({
    "slipway.yaml":
      "apiVersion: slipway.dev/v1\nkind: App\nname: a\nteam: t\nimage: { repository: r.example.com/a }\nreplcas: 2\nports: 80\n",
  });
  const text = await run(["validate", "--app", dir]);
  assert.equal(text.code, 2);
  assert.match(
    text.stderr,
    /slipway\.yaml:6:1 replcas: unknown field `replcas` \(did you mean `replicas`\?\)/,
  );
  assert.match(text.stderr, /slipway\.yaml:7:8 ports: must be a list/);
  const asJson = await run(["validate", "--app", dir, "--output", "json"]);
  assert.equal(asJson.code, 2);
  const body = JSON.parse(asJson.stdout) as { valid: boolean; problems: { path: string; line: number }[] };
  assert.equal(body.valid, false);
  assert.deepEqual(
    body.problems.map((p) => [p.path, p.line]),
    [
      ["replcas", 6],
      ["ports", 7],
    ],
  );
});

test("render writes YAML to stdout or one file per object; a bad target is a usage error", async () => {
  const platform = ["--platform", join(examples, "slipway.platform.yaml")];
  const stdout = await run([
    "render",
    "--app",
    join(examples, "rates-api"),
    "--target",
    "stable",
    ...platform,
  ]);
  assert.equal(stdout.code, 0, stdout.stderr);
  assert.match(stdout.stdout, /kind: Deployment/);
  const out = mkdtempSync(join(tmpdir(), "slipway-render-"));
  const files = await run([
    "render",
    "--app",
    join(examples, "rates-api"),
    "--target",
    "preview:fix/rounding",
    "-o",
    out,
    ...platform,
  ]);
  assert.equal(files.code, 0, files.stderr);
  assert.ok(readdirSync(out).some((f) => /^namespace-rates-api-pr-fix-rounding--[0-9a-f]{8}\.yaml$/.test(f)));
  const bad = await run(["render", "--app", join(examples, "rates-api"), "--target", "stabel"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /did you mean `stable`\?/);
  const noImage = await run([
    "render",
    "--app",
    join(examples, "rates-api"),
    "--target",
    "stable",
    "--image",
    `docker.io/other/app@sha256:${"1".repeat(64)}`,
  ]);
  assert.equal(noImage.code, 2);
  assert.match(noImage.stderr, /not from rates-api's repository/);
});

test("export helm writes a chart with one values file per channel", async () => {
  const out = join(mkdtempSync(join(tmpdir(), "slipway-chart-")), "chart");
  const platform = ["--platform", join(examples, "slipway.platform.yaml")];
  const result = await run(["export", "helm", "--app", join(examples, "cart"), "-o", out, ...platform]);
  assert.equal(result.code, 0, result.stderr);
  for (const file of [
    "Chart.yaml",
    "values.yaml",
    "values-develop.yaml",
    "values-stable.yaml",
    "templates/objects.yaml",
  ]) {
    assert.ok(existsSync(join(out, file)), file);
  }
});

test("every command has --help", async () => {
  for (const command of ["init", "validate", "render", "export helm"]) {
    const result = await run([...command.split(" "), "--help"]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /Usage: slipway/);
  }
});

test("render runs the target's policy: enforce blocks with the findings, warn reports, an app cannot waive running as root", async () => {
  const dir = project({
    "slipway.platform.yaml": `apiVersion: slipway.dev/v1
kind: Platform
clusters: [{ name: local, gitops: { directory: gitops } }]
channels:
  - { name: develop, cluster: local, policy: { mode: warn } }
  - { name: stable, cluster: local, production: true, policy: { mode: enforce } }
`,
    "app/slipway.yaml": `apiVersion: slipway.dev/v1
kind: App
name: legacy
team: t
image: { repository: r.example.com/legacy, tag: "1" }
securityContext: { runAsNonRoot: false }
`,
  });
  const app = join(dir, "app");
  const blocked = await run(["render", "--app", app, "--target", "stable"]);
  assert.equal(blocked.code, 1);
  assert.match(blocked.stderr, /policy blocks stable: \d+ findings? of enforced rules/);
  assert.match(blocked.stderr, /run-as-non-root/);
  assert.equal(blocked.stdout, "", "nothing is rendered when policy blocks");
  const warned = await run(["render", "--app", app, "--target", "develop"]);
  assert.equal(warned.code, 0);
  assert.match(warned.stderr, /policy \(warn on develop\): [1-9]\d* error\(s\)/);
  writeFileSync(
    join(app, "slipway.yaml"),
    `${readFileSync(join(app, "slipway.yaml"), "utf8")}policy:\n  waivers:\n    - { rule: run-as-non-root, reason: the vendor image needs root until 2.0, expires: 2099-12-31 }\n`,
  );
  const waived = await run(["render", "--app", app, "--target", "stable"]);
  assert.equal(waived.code, 1);
  assert.match(
    waived.stderr,
    /refused waiver: run-as-non-root until 2099-12-31 — run-as-non-root cannot be waived/,
  );
});
