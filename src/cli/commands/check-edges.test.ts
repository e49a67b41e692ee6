/**
 * `slipway check` at its edges: YAML as the cluster reads it, input that holds nothing, input
 * built to exhaust it, failures in the requested output format, and SARIF at scale.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { stringify } from "yaml";
import { goodApp } from "../../policy/fixtures.ts";
import { memoryIo } from "../io.ts";
import { main } from "../main.ts";

async function run(argv: string[], stdin?: string) {
  const io = memoryIo({ ...(stdin === undefined ? {} : { stdin }) });
  const code = await main(argv, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

const hostPod = (value: string) => `apiVersion: v1
kind: Pod
metadata: { name: p, namespace: shop }
spec:
  hostNetwork: ${value}
  hostPID: ${value === "true" ? "true" : "on"}
  containers:
    - name: app
      image: registry.example.com/app@sha256:${"ab".repeat(32)}
      securityContext: { privileged: ${value}, runAsNonRoot: ${value} }
`;

function ruleIds(out: string): string[] {
  return (JSON.parse(out) as { findings: { ruleId: string }[] }).findings.map((f) => f.ruleId).sort();
}

test("hostNetwork: yes, hostPID: on and privileged: yes raise the findings true raises; runAsNonRoot: yes counts", async () => {
  const withTrue = await run(["check", "-", "--output", "json"], hostPod("true"));
  const withYes = await run(["check", "-", "--output", "json"], hostPod("yes"));
  assert.equal(withYes.code, 1);
  const found = ruleIds(withYes.out);
  for (const rule of ["no-host-network", "no-host-pid", "no-privileged"])
    assert.ok(found.includes(rule), rule);
  assert.ok(!found.includes("run-as-non-root"), found.join(", "));
  assert.deepEqual(found, ruleIds(withTrue.out));
});

test("a container whose fields come from a merge key (<<: *base) is checked with them", async () => {
  const yaml = `apiVersion: v1
kind: Pod
metadata: { name: p, namespace: shop }
spec:
  initContainers:
    - &base { name: init, image: "registry.example.com/app:latest" }
  containers:
    - <<: *base
      name: app
`;
  const { out } = await run(["check", "-", "--output", "json"], yaml);
  const findings = (JSON.parse(out) as { findings: { ruleId: string; path: string }[] }).findings;
  assert.ok(
    findings.some((f) => f.ruleId === "image-not-latest" && f.path.startsWith("spec.containers[0]")),
    "the merged image is seen",
  );
});

test("empty stdin, or stdin with only comments, is an input error that points at a failed helm template", async () => {
  for (const stdin of ["", "# Source: chart/templates/a.yaml\n---\n"]) {
    const { code, out, err } = await run(["check", "-"], stdin);
    assert.equal(code, 2, out + err);
    assert.doesNotMatch(out, /passed/);
    assert.match(err, /stdin holds no Kubernetes objects.*helm template/);
  }
});

test("files that hold no objects are an input error too", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-check-"));
  writeFileSync(join(dir, "empty.yaml"), "---\n# nothing rendered\n");
  const { code, err } = await run(["check", join(dir, "empty.yaml")]);
  assert.equal(code, 2);
  assert.match(err, /empty\.yaml holds no Kubernetes objects/);
});

test("--output json writes a failure as JSON on stdout, with its code and located problems", async () => {
  const { code, out } = await run(
    ["check", "-", "--output", "json"],
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n",
  );
  assert.equal(code, 2);
  const report = JSON.parse(out) as {
    error: { code: string; message: string; problems: { file: string; line: number }[] };
  };
  assert.equal(report.error.code, "SLIPWAY_E_INPUT");
  assert.match(report.error.message, /not a Kubernetes manifest/);
  assert.equal(report.error.problems[0]?.file, "<stdin>");
  assert.ok((report.error.problems[0]?.line ?? 0) >= 4);
  const empty = await run(["check", "-", "--output", "json"], "");
  assert.match(
    (JSON.parse(empty.out) as { error: { message: string } }).error.message,
    /no Kubernetes objects/,
  );
});

test("a billion-laughs file fails fast with exit 2, in text and in SARIF", async () => {
  const levels = ["  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (const [i, n] of [..."bcdefghi"].entries()) {
    levels.push(`  ${n}: &${n} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(", ")}]`);
  }
  const bomb = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n${levels.join("\n")}\n`;
  assert.ok(bomb.length < 1500);
  const started = performance.now();
  const text = await run(["check", "-"], bomb);
  assert.equal(text.code, 2);
  assert.match(text.err, /aliases expand this document by more than 100,000 nodes/);
  const sarif = await run(["check", "-", "--output", "sarif"], bomb);
  assert.equal(sarif.code, 2);
  assert.doesNotMatch(sarif.err, /internal error/);
  const log = JSON.parse(sarif.out) as {
    runs: { invocations: { executionSuccessful: boolean }[]; results: unknown[] }[];
  };
  assert.equal(log.runs[0]?.invocations[0]?.executionSuccessful, false);
  assert.ok(performance.now() - started < 2000, "fails fast");
});

test("SARIF output costs about what text output does (linear in the objects)", async () => {
  // Every object has findings, so every document's lines are looked up.
  const objects = Array.from({ length: 300 }, (_, i) =>
    goodApp().map((o) => ({ ...o, metadata: { ...o.metadata, name: `${o.metadata.name}-${i}` } })),
  ).flat();
  const yaml = objects.map((o) => stringify(o)).join("---\n");
  const time = async (output: string) => {
    const started = performance.now();
    const r = await run(["check", "-", "--output", output, "--production"], yaml);
    assert.notEqual(r.code, 2, r.err);
    return performance.now() - started;
  };
  await time("text"); // warm up
  // The best of three rounds each, interleaved: a busy machine slows single runs at random.
  let text = Number.POSITIVE_INFINITY;
  let sarif = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    text = Math.min(text, await time("text"));
    sarif = Math.min(sarif, await time("sarif"));
  }
  assert.ok(
    sarif < text * 2 + 300,
    `${objects.length} objects: sarif ${sarif.toFixed(0)} ms, text ${text.toFixed(0)} ms`,
  );
});

test("an app cannot waive its own way past enforced policy: root, escalation and SYS_ADMIN in production fail", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-check-"));
  const platform = `apiVersion: slipway.dev/v1
kind: Platform
clusters: [{ name: prod, gitops: { directory: gitops } }]
channels:
  - { name: stable, cluster: prod, production: true, policy: { mode: enforce } }
`;
  writeFileSync(join(dir, "slipway.platform.yaml"), platform);
  mkdirSync(join(dir, "app"));
  writeFileSync(
    join(dir, "app", "slipway.yaml"),
    `apiVersion: slipway.dev/v1
kind: App
name: legacy
team: t
image: { repository: registry.example.com/legacy, tag: "1" }
securityContext: { runAsNonRoot: false, allowPrivilegeEscalation: true, addCapabilities: [SYS_ADMIN] }
policy:
  waivers:
    - { rule: run-as-non-root, reason: the vendor image needs root until 2.0, expires: 9999-12-31 }
    - { rule: no-privilege-escalation, reason: the vendor image needs setuid helpers, expires: 9999-12-31 }
`,
  );
  const args = [
    "check",
    "--app",
    join(dir, "app"),
    "--target",
    "stable",
    "--platform",
    join(dir, "slipway.platform.yaml"),
  ];
  const { code, out, err } = await run(args);
  assert.equal(code, 1, out + err);
  assert.match(
    out,
    /✖ error {3}allowed-capabilities .*adds capability SYS_ADMIN, which the platform does not allow/,
  );
  assert.match(out, /✖ error {3}run-as-non-root /);
  assert.match(out, /✖ error {3}no-privilege-escalation /);
  assert.match(out, /refused waiver: run-as-non-root until 9999-12-31 — run-as-non-root cannot be waived/);
  assert.match(
    out,
    /refused waiver: no-privilege-escalation until 9999-12-31 — no-privilege-escalation cannot be waived/,
  );
  assert.match(out, /0 waived — mode enforce: blocked/);
});

test("a capability the platform allows passes; a waiver the platform allows applies for at most its maxDays", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-check-"));
  const platform = `apiVersion: slipway.dev/v1
kind: Platform
clusters: [{ name: prod, gitops: { directory: gitops } }]
channels:
  - { name: stable, cluster: prod, production: true, policy: { mode: enforce } }
policy:
  allowedCapabilities: [NET_BIND_SERVICE, NET_ADMIN]
  waivers:
    maxDays: 30
    allow: [{ rule: image-digest, apps: [legacy] }]
`;
  writeFileSync(join(dir, "slipway.platform.yaml"), platform);
  mkdirSync(join(dir, "app"));
  const spec = (expires: string) => `apiVersion: slipway.dev/v1
kind: App
name: legacy
team: t
image: { repository: registry.example.com/legacy, tag: "1" }
securityContext: { addCapabilities: [NET_ADMIN] }
policy:
  waivers: [{ rule: image-digest, reason: the vendor publishes tags only, expires: ${expires} }]
`;
  const args = [
    "check",
    "--app",
    join(dir, "app"),
    "--target",
    "stable",
    "--platform",
    join(dir, "slipway.platform.yaml"),
    "--output",
    "json",
  ];
  const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
  writeFileSync(join(dir, "app", "slipway.yaml"), spec(day(20)));
  const ok = JSON.parse((await run(args)).out) as {
    findings: { ruleId: string; waived?: unknown }[];
    refusedWaivers: unknown[];
  };
  assert.ok(!ok.findings.some((f) => f.ruleId === "allowed-capabilities"));
  assert.ok(ok.findings.filter((f) => f.ruleId === "image-digest").every((f) => f.waived));
  assert.deepEqual(ok.refusedWaivers, []);
  writeFileSync(join(dir, "app", "slipway.yaml"), spec(day(60)));
  const tooLong = JSON.parse((await run(args)).out) as { refusedWaivers: { reason: string }[] };
  assert.match(tooLong.refusedWaivers[0]?.reason ?? "", /more than 30 days ahead/);
});

test("a manifest file over the size limit is refused by name before it is read", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-check-"));
  const big = join(dir, "big.yaml");
  writeFileSync(big, "");
  truncateSync(big, 257 * 2 ** 20); // sparse: no disk or memory spent
  const { code, err } = await run(["check", big]);
  assert.equal(code, 2);
  assert.match(err, /manifest .*big\.yaml is larger than 256 MiB/);
});
