/**
 * What users write at the edges of slipway.yaml and what validation must say about it: values kept
 * as written, limits the cluster enforces, teams, file encodings, all problems in one run, and
 * large files in linear time.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type Problem, SlipwayError } from "../core/errors.ts";
import { render } from "../render/render.ts";
import { loadApp } from "./files.ts";
import { checkAppSpec, parseAppSpec, parsePlatform } from "./parse.ts";
import { decodeUtf8 } from "./utf8.ts";

const PLATFORM = parsePlatform(
  `apiVersion: slipway.dev/v1
kind: Platform
clusters:
  - name: local
    gitops: { directory: gitops }
channels:
  - { name: develop, cluster: local, domain: develop.example.com }
  - { name: stable, cluster: local, domain: example.com, production: true }
teams:
  - name: commerce
  - name: finance
defaults:
  env:
    RELEASE: 2.10
`,
  "slipway.platform.yaml",
);

const HEAD = `apiVersion: slipway.dev/v1
kind: App
name: cart
team: commerce
image:
  repository: registry.example.com/cart
  tag: "1"
`;

function problemsOf(fn: () => unknown): Problem[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SlipwayError, `expected a SlipwayError, got ${String(error)}`);
    return [...error.problems];
  }
  assert.fail("expected the input to be rejected");
}

const appProblems = (body: string) => problemsOf(() => parseAppSpec(HEAD + body, "slipway.yaml", PLATFORM));

test("env values, labels, annotations and tags keep the text written, unquoted", () => {
  const app = parseAppSpec(
    `${HEAD.replace('tag: "1"', "tag: 1.10")}env:
  VERSION: 1.10
  ZIP: 012345
  MASK: 0x1F
  MODE: 0755
  ORDER: 12345678901234567890
  DEBUG: True
  RATIO: 1e3
labels:
  example.com/version: 1.10
annotations:
  example.com/build: 007
configFiles:
  - { path: /etc/version, content: 2.50 }
rollout: { maxSurge: 1 }
replicas: 2
environments:
  stable:
    env:
      VERSION: 2.0
`,
    "slipway.yaml",
    PLATFORM,
  );
  const { objects } = render({ app, platform: PLATFORM, target: "develop" });
  const deployment = objects.find((o) => o.kind === "Deployment")!;
  const pod = (
    deployment.spec as { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } }
  ).template.spec.containers[0]!;
  const env = Object.fromEntries(pod.env.map((e) => [e.name, e.value]));
  assert.equal(env.VERSION, "1.10");
  assert.equal(env.ZIP, "012345");
  assert.equal(env.MASK, "0x1F");
  assert.equal(env.MODE, "0755");
  assert.equal(env.ORDER, "12345678901234567890");
  assert.equal(env.DEBUG, "True");
  assert.equal(env.RATIO, "1e3");
  assert.equal(env.RELEASE, "2.10", "a platform default keeps its text too");
  assert.equal(deployment.metadata.labels?.["example.com/version"], "1.10");
  assert.equal(app.spec.annotations?.["example.com/build"], "007");
  assert.equal(app.spec.configFiles?.[0]?.content, "2.50");
  assert.equal(app.spec.image.tag, "1.10");
  // Fields that want numbers keep YAML's number.
  assert.equal(app.spec.replicas, 2);
  assert.equal(app.spec.rollout?.maxSurge, 1);
  const stable = render({ app, platform: PLATFORM, target: "stable" }).objects.find(
    (o) => o.kind === "Deployment",
  )!;
  assert.match(JSON.stringify(stable.spec), /"name":"VERSION","value":"2.0"/, "an override keeps its text");
});

test("limits below requests are refused, in the app, in an override and through platform defaults", () => {
  const [cpu, memory] = appProblems(
    "resources:\n  requests: { cpu: 500m, memory: 1Gi }\n  limits: { cpu: 250m, memory: 512Mi }\n",
  );
  assert.equal(cpu?.path, "resources.limits.cpu");
  assert.equal(cpu?.line, 10);
  assert.match(cpu?.message ?? "", /limit 250m is below the request 500m/);
  assert.equal(memory?.path, "resources.limits.memory");
  const override = appProblems(
    "resources:\n  requests: { memory: 256Mi }\n  limits: { memory: 1Gi }\nenvironments:\n  stable:\n    resources:\n      requests: { memory: 2Gi }\n",
  );
  assert.ok(
    override.some(
      (p) => p.path.startsWith("environments.stable.resources") && /below the request 2Gi/.test(p.message),
    ),
  );
  assert.deepEqual(appProblems("resources:\n  requests: { cpu: '1' }\n  limits: { cpu: 999m }\n").length, 1);
  const strict = parsePlatform(
    "apiVersion: slipway.dev/v1\nkind: Platform\nclusters: [{ name: c, gitops: { directory: g } }]\ndefaults:\n  resources: { limits: { memory: 256Mi } }\n",
    "slipway.platform.yaml",
  );
  const [viaDefaults] = problemsOf(() =>
    parseAppSpec(`${HEAD}resources:\n  requests: { memory: 512Mi }\n`, "slipway.yaml", strict),
  );
  assert.match(viaDefaults?.message ?? "", /limit 256Mi is below the request 512Mi/);
  parseAppSpec(
    `${HEAD}resources:\n  requests: { cpu: 1, memory: 1G }\n  limits: { cpu: 1000m, memory: 1G }\n`,
    "s.yaml",
    PLATFORM,
  );
});

test("config files over 1 MiB in all are refused: a ConfigMap holds no more", () => {
  const content = (bytes: number) => `"${"x".repeat(bytes)}"`;
  const [tooBig] = appProblems(
    `configFiles:\n  - { path: /a, content: ${content(600_000)} }\n  - { path: /b, content: ${content(600_000)} }\n`,
  );
  assert.equal(tooBig?.path, "configFiles");
  assert.match(
    tooBig?.message ?? "",
    /hold 1,200,000 bytes in all; a ConfigMap holds at most 1,048,576 \(1 MiB\)/,
  );
  parseAppSpec(
    `${HEAD}configFiles:\n  - { path: /a, content: ${content(1024 * 1024)} }\n`,
    "s.yaml",
    PLATFORM,
  );
  // Two bytes a character in UTF-8: 600,000 × é is 1.14 MiB.
  assert.equal(appProblems(`configFiles:\n  - { path: /a, content: "${"é".repeat(600_000)}" }\n`).length, 1);
});

test("a team the platform does not list is refused, with the nearest name", () => {
  const [problem] = problemsOf(() =>
    parseAppSpec(HEAD.replace("team: commerce", "team: comerce"), "slipway.yaml", PLATFORM),
  );
  assert.equal(problem?.path, "team");
  assert.equal(problem?.line, 4);
  assert.match(problem?.message ?? "", /team `comerce` is not one of the platform's teams/);
  assert.match(problem?.hint ?? "", /did you mean `commerce`/);
});

test("a service account is the app's own or <app>--<suffix>, never another app's default", () => {
  const [problem] = appProblems("serviceAccount: { name: finance-runner }\n");
  assert.equal(problem?.path, "serviceAccount.name");
  assert.match(problem?.message ?? "", /not this app's account: use `cart` or `cart--<suffix>`/);
  const [viaOverride] = appProblems("environments:\n  stable:\n    serviceAccount: { name: ledger }\n");
  assert.match(viaOverride?.path ?? "", /serviceAccount/);
  // `cart-runner` is the account app `cart-runner` gets by default: two apps in one namespace.
  const [taken] = appProblems("serviceAccount: { name: cart-runner }\n");
  assert.match(taken?.message ?? "", /default account of an app named cart-runner: use `cart--runner`/);
  parseAppSpec(`${HEAD}serviceAccount: { name: cart--runner }\n`, "s.yaml", PLATFORM);
});

test("app names may not hold -pr-, which marks preview namespaces", () => {
  for (const name of ["cart-pr", "cart-pr-staging"]) {
    const [problem] = problemsOf(() =>
      parseAppSpec(HEAD.replace("name: cart", `name: ${name}`), "s.yaml", PLATFORM),
    );
    assert.equal(problem?.path, "name");
    assert.match(problem?.message ?? "", /may not hold `-pr-` nor end in `-pr`/);
  }
  parseAppSpec(HEAD.replace("name: cart", "name: pr-tools"), "s.yaml", PLATFORM);
});

test("a file that is not UTF-8 is refused with the byte's position", () => {
  const latin1 = Buffer.concat([
    Buffer.from(`${HEAD}description: "Caf`),
    Buffer.from([0xe9]),
    Buffer.from(' menu"\n'),
  ]);
  const [problem] = problemsOf(() => decodeUtf8(latin1, "slipway.yaml"));
  assert.equal(problem?.line, 8);
  assert.equal(problem?.column, 18);
  assert.match(problem?.message ?? "", /byte 0xE9 at offset \d+ is not UTF-8/);
  const dir = mkdtempSync(join(tmpdir(), "slipway-utf8-"));
  writeFileSync(join(dir, "slipway.yaml"), latin1);
  assert.throws(
    () => loadApp(dir),
    (e: SlipwayError) => e.code === "SLIPWAY_E_INPUT" && /not UTF-8/.test(e.message),
  );
  // Valid multi-byte text and a byte-order mark read as before.
  assert.equal(decodeUtf8(Buffer.from("\uFEFFCafé ✓ 😀"), "f"), "Café ✓ 😀");
  for (const bad of [
    [0xc0, 0x80],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0xe2, 0x82],
  ]) {
    assert.throws(() => decodeUtf8(Uint8Array.from([0x41, ...bad]), "f"), /not UTF-8/);
  }
});

test("every problem of a file is reported in one run", () => {
  const { problems } = checkAppSpec(
    `${HEAD.replace("team: commerce", "team: comerce")}replcas: 2
ports:
  - { name: http, port: 8080 }
resources:
  requests: { cpu: 500m }
  limits: { cpu: 250m }
serviceAccount: { name: ledger }
health:
  readiness: { http: { path: /ready, port: grpc } }
routes:
  - host: "*.example.com"
environments:
  stable:
    replicas: many
  stabel: {}
`,
    "slipway.yaml",
    PLATFORM,
  );
  const paths = problems.map((p) => p.path).sort();
  assert.deepEqual(paths, [
    "environments.stabel",
    "environments.stable.replicas",
    "replcas",
    "resources.limits.cpu",
    "serviceAccount.name",
    "team",
  ]);
});

test("a spec with two documents says so, and where the second starts", () => {
  const [problem] = appProblems("---\nname: other\n");
  assert.equal(problem?.line, 8);
  assert.match(problem?.message ?? "", /slipway\.yaml holds one document; found 2, the second at line 8/);
  assert.doesNotMatch(problem?.message ?? "", /parseAllDocuments/);
});

test("key problems cite the key's real line and column", () => {
  const duplicate = appProblems("env:\n  A: 1\n  B: 2\n  A: 3\n");
  assert.deepEqual(
    duplicate.map((p) => [p.line, p.column, p.path]),
    [[11, 3, "env.A"]],
  );
  assert.match(duplicate[0]?.hint ?? "", /already at line 9/);
  const [listKey] = appProblems("env:\n  ? [a, b]\n  : x\n");
  assert.deepEqual([listKey?.line, listKey?.column], [9, 5]);
  for (const text of ["", "# only a comment\n", "[]\n"]) {
    const problems = problemsOf(() => parseAppSpec(text, "slipway.yaml", PLATFORM));
    assert.ok(
      problems.every((p) => p.line >= 1 && p.column >= 1),
      JSON.stringify(problems),
    );
  }
});

test("duplicate keys and positions are found in linear time: 60,000 env keys validate in seconds", () => {
  const lines = Array.from({ length: 60_000 }, (_, i) => `  KEY_${i}: value-${i}\n`);
  const start = performance.now();
  const app = parseAppSpec(`${HEAD}env:\n${lines.join("")}`, "slipway.yaml", PLATFORM);
  const ms = performance.now() - start;
  assert.equal(Object.keys(app.spec.env ?? {}).length, 60_000);
  // Comparing each key with every earlier one took 4.6 s at 20,000 keys, and grows with the square.
  assert.ok(ms < 15_000, `took ${ms.toFixed(0)} ms`);
  const [dup] = appProblems(`env:\n${lines.join("")}  KEY_59999: again\n`);
  assert.equal(dup?.line, 60_009);
});

test("aliases cannot expand a few bytes into millions of values", () => {
  const bomb = [
    "a: &a [x, x, x, x, x, x, x, x, x, x]",
    ...Array.from({ length: 8 }, (_, i) => {
      const name = String.fromCharCode(98 + i);
      const prev = String.fromCharCode(97 + i);
      return `${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`;
    }),
  ].join("\n");
  const [problem] = appProblems(`labels:\n  x: y\n${bomb}\n`);
  assert.match(problem?.message ?? "", /aliases expand to more than 100000 values/);
});
