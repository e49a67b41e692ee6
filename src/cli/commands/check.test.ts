import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { stringify } from "yaml";
import { goodApp } from "../../policy/fixtures.ts";
import { memoryIo } from "../io.ts";
import { main } from "../main.ts";

const repo = new URL("../../../", import.meta.url).pathname;
const bad = new URL("./testdata/check-bad.yaml", import.meta.url).pathname;
const goodYaml = goodApp()
  .map((o) => stringify(o))
  .join("---\n");
const digest = `sha256:${"ab".repeat(32)}`;

async function run(argv: string[], stdin?: string) {
  const io = memoryIo({ cwd: repo, ...(stdin === undefined ? {} : { stdin }) });
  const code = await main(argv, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

test("hand-written bad manifests: findings grouped by object with file:line, exit 1 in enforce mode", async () => {
  const { code, out } = await run(["check", "-f", bad]);
  assert.equal(code, 1);
  assert.match(out, /^Deployment\/web {2}\(.*check-bad\.yaml:1\)$/m);
  assert.match(
    out,
    /✖ error {3}no-privileged {2}spec\.template\.spec\.containers\[0\]\.securityContext\.privileged: container "app" is privileged/,
  );
  assert.match(
    out,
    /✖ error {3}env-no-secret-literals {2}spec\.template\.spec\.containers\[0\]\.env\[0\]\.value/,
  );
  assert.match(out, /^Service\/web {2}\(.*check-bad\.yaml:22\)$/m);
  assert.match(out, /selector \{"app":"wbe"\} matches no workload/);
  // A container without ports is a worker: it is not asked for a readiness probe.
  assert.doesNotMatch(out, /readiness-probe/);
  assert.match(out, /mode enforce: blocked by 9 findings of error rules$/m);
});

test("--mode warn reports the same findings and exits 0", async () => {
  const { code, out } = await run(["check", bad, "--mode", "warn"]);
  assert.equal(code, 0);
  assert.match(out, /9 errors, 9 warnings.*mode warn: passed/);
});

test("stdin (-) takes helm-template-like output; a clean app passes in a production channel", async () => {
  const { code, out } = await run(["check", "-", "--production", "--required-label", "team"], goodYaml);
  assert.equal(code, 0, out);
  assert.match(out, /^7 objects, 39 rules: 0 errors, 0 warnings, 0 infos, 0 waived — mode enforce: passed$/m);
});

test("production context adds the redundancy rules", async () => {
  const single = goodYaml.replace("replicas: 2", "replicas: 1").replace("minReplicas: 2", "minReplicas: 1");
  const { code, out } = await run(["check", "-", "--production", "--output", "json"], single);
  assert.equal(code, 1);
  const report = JSON.parse(out) as { findings: { ruleId: string; object: string; path: string }[] };
  assert.deepEqual(
    report.findings.filter((f) => f.ruleId === "hpa-min-replicas").map((f) => `${f.object} ${f.path}`),
    ["HorizontalPodAutoscaler/shop/web spec.minReplicas"],
  );
});

test("unparseable YAML is an input error naming file:line, exit 2", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-check-"));
  writeFileSync(
    join(dir, "broken.yaml"),
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: {a: [1,\n",
  );
  const { code, err } = await run(["check", "-f", dir]);
  assert.equal(code, 2);
  assert.match(err, /broken\.yaml:\d+:\d+ /);
});

test("a missing path and a bad --mode are input errors (exit 2)", async () => {
  assert.equal((await run(["check", "-f", "/nonexistent/x.yaml"])).code, 2);
  assert.equal((await run(["check", bad, "--mode", "strict"])).code, 2);
  assert.equal((await run(["check"])).code, 2);
});

test("SARIF 2.1.0: rules, levels, and the region of the offending field", async () => {
  const { code, out } = await run(["check", bad, "--output", "sarif"]);
  assert.equal(code, 1);
  const sarif = JSON.parse(out) as {
    version: string;
    runs: {
      tool: { driver: { rules: { id: string }[] } };
      results: {
        ruleId: string;
        level: string;
        locations: {
          physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
        }[];
      }[];
    }[];
  };
  assert.equal(sarif.version, "2.1.0");
  const run0 = sarif.runs[0]!;
  const privileged = run0.results.find((r) => r.ruleId === "no-privileged")!;
  assert.equal(privileged.level, "error");
  assert.match(privileged.locations[0]!.physicalLocation.artifactLocation.uri, /check-bad\.yaml$/);
  assert.equal(privileged.locations[0]!.physicalLocation.region.startLine, 17);
  assert.ok(run0.tool.driver.rules.some((r) => r.id === "no-privileged"));
  const again = JSON.parse((await run(["check", bad, "--output", "sarif"])).out) as typeof sarif;
  assert.deepEqual(
    (again.runs[0]!.results as unknown as { partialFingerprints: unknown }[]).map(
      (r) => r.partialFingerprints,
    ),
    (run0.results as unknown as { partialFingerprints: unknown }[]).map((r) => r.partialFingerprints),
    "fingerprints are stable between runs",
  );
});

test("Slipway's own rendered examples pass every rule in enforce mode, on every target", async () => {
  const apps = { cart: "commerce/cart", mailer: "platform/mailer", "rates-api": "finance/rates-api" };
  for (const [app, repository] of Object.entries(apps)) {
    for (const target of ["develop", "staging", "stable", "preview:feature-x"]) {
      const image = `registry.example.com/${repository}@${digest}`;
      const r = await run([
        "check",
        "--app",
        `examples/${app}`,
        "--target",
        target,
        "--image",
        image,
        "--mode",
        "enforce",
        "--platform",
        "examples/slipway.platform.yaml",
      ]);
      assert.equal(r.code, 0, `${app} ${target}\n${r.out}${r.err}`);
      assert.match(r.out, /0 errors, 0 warnings/, `${app} ${target}\n${r.out}`);
    }
  }
});

test("custom rules from the platform's directory run beside the built-ins", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-check-"));
  mkdirSync(join(dir, "policies"));
  const rulesText = readFileSync(
    new URL("../../policy/custom/testdata/acme-rules.yaml", import.meta.url),
    "utf8",
  );
  writeFileSync(join(dir, "policies", "acme.yaml"), rulesText);
  const platform = readFileSync(join(repo, "examples/slipway.platform.yaml"), "utf8").replace(
    /^clusters:/m,
    "policy:\n  customRules: policies\nclusters:",
  );
  writeFileSync(join(dir, "slipway.platform.yaml"), platform);
  const { code, out } = await run([
    "check",
    "--platform",
    join(dir, "slipway.platform.yaml"),
    "--channel",
    "stable",
    bad,
  ]);
  assert.equal(code, 1);
  assert.match(
    out,
    /✖ error {3}acme-owner-annotation {2}metadata\.annotations\["acme\.com\/owner"\]: metadata\.annotations\["acme\.com\/owner"\] is missing/,
  );
  assert.match(
    out,
    /⚠ warning acme-registry {2}spec\.template\.spec\.containers\[0\]\.image: image nginx is not from registry\.acme\.com/,
  );
  assert.match(out, /41 rules/);
});

test("waivers in slipway.yaml stop an enforced finding from blocking; an expired one stops waiving and says so", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-check-"));
  // The platform lets cart waive required-labels; without that line no waiver would apply.
  writeFileSync(
    join(dir, "slipway.platform.yaml"),
    readFileSync(join(repo, "examples/slipway.platform.yaml"), "utf8").replace(
      /^clusters:/m,
      "policy:\n  waivers:\n    allow: [{ rule: required-labels, apps: [cart] }]\nclusters:",
    ),
  );
  mkdirSync(join(dir, "cart"));
  const spec = readFileSync(join(repo, "examples/cart/slipway.yaml"), "utf8");
  const withWaiver = (expires: string) =>
    `${spec}\npolicy:\n  waivers:\n    - rule: required-labels\n      reason: the cost label arrives with the billing migration\n      expires: ${expires}\n`;
  const args = ["check", "--app", join(dir, "cart"), "--target", "stable", "--required-label", "cost-center"];
  args.push("--platform", join(dir, "slipway.platform.yaml"));
  args.push("--image", `registry.example.com/commerce/cart@${digest}`);

  const inAMonth = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  writeFileSync(join(dir, "cart", "slipway.yaml"), withWaiver(inAMonth));
  const waived = await run(args);
  assert.equal(waived.code, 0, waived.out + waived.err);
  assert.match(
    waived.out,
    /~ waived {2}required-labels {2}metadata\.labels: required label "cost-center" is missing/,
  );
  assert.match(
    waived.out,
    new RegExp(`waived until ${inAMonth}: the cost label arrives with the billing migration`),
  );

  writeFileSync(join(dir, "cart", "slipway.yaml"), withWaiver("2020-01-31"));
  const expired = await run(args);
  assert.equal(expired.code, 1);
  assert.match(expired.out, /waiver expired on 2020-01-31 and no longer applies/);
  assert.match(expired.out, /^expired waiver: required-labels expired on 2020-01-31/m);
});

test("--list-rules prints the catalog, with a platform's custom rules and where they come from", async () => {
  const builtins = await run(["check", "--list-rules"]);
  assert.equal(builtins.code, 0);
  assert.match(builtins.out, /^run-as-non-root +error +Containers run as a non-root user$/m);
  assert.equal(builtins.out.trim().split("\n").length, 39);
  const json = JSON.parse((await run(["check", "--list-rules", "--output", "json"])).out) as {
    id: string;
    source: string;
  }[];
  assert.ok(json.every((r) => r.source === "built-in"));
});
