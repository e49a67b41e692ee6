/**
 * The mistakes people make in slipway.yaml and the platform file, each reported at the right
 * line and column with the field path and a hint. One row per kind of mistake.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Problem, SlipwayError } from "../core/errors.ts";
import { parseAppSpec, parsePlatform } from "./parse.ts";

const PLATFORM = `apiVersion: slipway.dev/v1
kind: Platform
clusters:
  - name: local
    gitops: { directory: gitops }
channels:
  - name: develop
    cluster: local
  - name: stable
    cluster: local
    production: true
`;

const HEAD = `apiVersion: slipway.dev/v1
kind: App
name: cart
team: commerce
image:
  repository: registry.example.com/cart
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

const platform = parsePlatform(PLATFORM, "slipway.platform.yaml");
const appProblems = (body: string) => problemsOf(() => parseAppSpec(HEAD + body, "slipway.yaml", platform));

interface Case {
  name: string;
  problems: () => Problem[];
  expect: { line: number; column: number; path: string; message: RegExp; hint?: RegExp; file?: string };
}

const cases: Case[] = [
  {
    name: "misspelt top-level field",
    problems: () => appProblems("replcas: 3\n"),
    expect: {
      line: 7,
      column: 1,
      path: "replcas",
      message: /unknown field `replcas`/,
      hint: /did you mean `replicas`/,
    },
  },
  {
    name: "misspelt nested field",
    problems: () => appProblems("health:\n  readyness:\n    http: { path: / }\n"),
    expect: {
      line: 8,
      column: 3,
      path: "health.readyness",
      message: /unknown field/,
      hint: /did you mean `readiness`/,
    },
  },
  {
    name: "quoted number",
    problems: () => appProblems("replicas: '3'\n"),
    expect: {
      line: 7,
      column: 11,
      path: "replicas",
      message: /must be a number, got "3"/,
      hint: /remove the quotes/,
    },
  },
  {
    name: "negative replicas",
    problems: () => appProblems("replicas: -1\n"),
    expect: { line: 7, column: 11, path: "replicas", message: />=0|at least|too small/i },
  },
  {
    name: "invalid app name",
    problems: () =>
      problemsOf(() => parseAppSpec(HEAD.replace("name: cart", "name: Cart_App"), "slipway.yaml", platform)),
    expect: { line: 3, column: 7, path: "name", message: /DNS label/ },
  },
  {
    name: "missing team",
    problems: () =>
      problemsOf(() => parseAppSpec(HEAD.replace("team: commerce\n", ""), "slipway.yaml", platform)),
    expect: { line: 1, column: 1, path: "team", message: /is required/, hint: /add `team`/ },
  },
  {
    name: "wrong apiVersion",
    problems: () =>
      problemsOf(() =>
        parseAppSpec(HEAD.replace("slipway.dev/v1", "slipway.dev/v2"), "slipway.yaml", platform),
      ),
    expect: { line: 1, column: 13, path: "apiVersion", message: /must be `slipway.dev\/v1`/ },
  },
  {
    name: "bad resource quantity",
    problems: () => appProblems("resources:\n  requests:\n    cpu: lots\n"),
    expect: { line: 9, column: 10, path: "resources.requests.cpu", message: /Kubernetes quantity/ },
  },
  {
    name: "port out of range",
    problems: () => appProblems("ports:\n  - name: http\n    port: 70000\n"),
    expect: { line: 9, column: 11, path: "ports[0].port", message: /65535|too big|at most/i },
  },
  {
    name: "port name too long",
    problems: () => appProblems("ports:\n  - name: a-very-long-port-name\n    port: 80\n"),
    expect: { line: 8, column: 11, path: "ports[0].name", message: /15 characters/ },
  },
  {
    name: "probe with two handlers",
    problems: () => appProblems("health:\n  liveness:\n    http: { path: /h }\n    tcp: {}\n"),
    expect: { line: 9, column: 5, path: "health.liveness", message: /exactly one of http, tcp or exec/ },
  },
  {
    name: "autoscaling max below min",
    problems: () => appProblems("autoscaling:\n  minReplicas: 5\n  maxReplicas: 2\n  cpu: 70\n"),
    expect: { line: 9, column: 16, path: "autoscaling.maxReplicas", message: /at least minReplicas/ },
  },
  {
    name: "autoscaling without a metric",
    problems: () => appProblems("autoscaling:\n  minReplicas: 2\n  maxReplicas: 4\n"),
    expect: { line: 8, column: 3, path: "autoscaling", message: /at least one metric/ },
  },
  {
    name: "env given as a list",
    problems: () => appProblems("env:\n  - A=1\n"),
    expect: {
      line: 8,
      column: 3,
      path: "env",
      message: /must be a map, got a list/,
      hint: /map of key: value/,
    },
  },
  {
    name: "invalid env var name",
    problems: () => appProblems("env:\n  1BAD: x\n"),
    expect: { line: 8, column: 3, path: "env.1BAD", message: /environment variable name/ },
  },
  {
    name: "command given as a string",
    problems: () => appProblems("command: node server.js\n"),
    expect: { line: 7, column: 10, path: "command", message: /must be a list/, hint: /write it as a list/ },
  },
  {
    name: "misspelt enum value",
    problems: () =>
      problemsOf(() =>
        parseAppSpec(
          HEAD.replace("registry.example.com/cart\n", "registry.example.com/cart\n  pullPolicy: Allways\n"),
          "slipway.yaml",
          platform,
        ),
      ),
    expect: {
      line: 7,
      column: 15,
      path: "image.pullPolicy",
      message: /one of: Always, IfNotPresent, Never/,
      hint: /did you mean `Always`/,
    },
  },
  {
    name: "image with a tag in the repository",
    problems: () =>
      problemsOf(() =>
        parseAppSpec(
          HEAD.replace("registry.example.com/cart", "registry.example.com/cart:1.0"),
          "slipway.yaml",
          platform,
        ),
      ),
    expect: { line: 6, column: 15, path: "image.repository", message: /without tag or digest/ },
  },
  {
    name: "unknown environment",
    problems: () => appProblems("environments:\n  stabel:\n    replicas: 2\n"),
    expect: {
      line: 8,
      column: 3,
      path: "environments.stabel",
      message: /not a channel/,
      hint: /did you mean `stable`/,
    },
  },
  {
    name: "mistake inside an override",
    problems: () => appProblems("environments:\n  stable:\n    replicas: two\n"),
    expect: { line: 9, column: 15, path: "environments.stable.replicas", message: /must be a number/ },
  },
  {
    name: "unknown field inside an override",
    problems: () => appProblems("environments:\n  stable:\n    resources:\n      limts: { memory: 1Gi }\n"),
    expect: {
      line: 10,
      column: 7,
      path: "environments.stable.resources.limts",
      message: /unknown field/,
      hint: /did you mean `limits`/,
    },
  },
  {
    name: "override breaks a cross-field rule",
    problems: () =>
      appProblems(
        "autoscaling:\n  minReplicas: 2\n  maxReplicas: 4\n  cpu: 70\nenvironments:\n  stable:\n    autoscaling:\n      minReplicas: 9\n",
      ),
    expect: {
      line: 14,
      column: 7,
      path: "environments.stable.autoscaling.maxReplicas",
      message: /at least minReplicas/,
    },
  },
  {
    name: "YAML syntax error",
    problems: () => appProblems("ports: [http\n"),
    expect: { line: 8, column: 1, path: "", message: /YAML syntax error/, hint: /fix the YAML syntax/ },
  },
  {
    name: "duplicate key",
    problems: () => appProblems("replicas: 1\nreplicas: 2\n"),
    expect: {
      line: 8,
      column: 1,
      path: "replicas",
      message: /duplicate key `replicas`/,
      hint: /already at line 7/,
    },
  },
  {
    name: "bad duration in the platform file",
    problems: () =>
      problemsOf(() => parsePlatform(`${PLATFORM}previews:\n  cluster: local\n  ttl: 3 days\n`, "p.yaml")),
    expect: { file: "p.yaml", line: 14, column: 8, path: "previews.ttl", message: /duration such as 30s/ },
  },
  {
    name: "channel on an undefined cluster",
    problems: () =>
      problemsOf(() =>
        parsePlatform(
          PLATFORM.replace("    cluster: local\n    production", "    cluster: locl\n    production"),
          "p.yaml",
        ),
      ),
    expect: {
      file: "p.yaml",
      line: 10,
      column: 14,
      path: "channels[1].cluster",
      message: /cluster `locl` is not defined/,
      hint: /did you mean `local`/,
    },
  },
  {
    name: "cluster with neither kubeconfig nor gitops",
    problems: () =>
      problemsOf(() => parsePlatform(PLATFORM.replace("    gitops: { directory: gitops }\n", ""), "p.yaml")),
    expect: {
      file: "p.yaml",
      line: 4,
      column: 5,
      path: "clusters[0]",
      message: /exactly one of kubeconfig or gitops/,
    },
  },
  {
    name: "misspelt platform field",
    problems: () => problemsOf(() => parsePlatform(`${PLATFORM}chanels: []\n`, "p.yaml")),
    expect: {
      file: "p.yaml",
      line: 12,
      column: 1,
      path: "chanels",
      message: /unknown field/,
      hint: /did you mean `channels`/,
    },
  },
];

for (const c of cases) {
  test(`reports ${c.name} at its position with a hint`, () => {
    const problems = c.problems();
    const found = problems.find((p) => p.path === c.expect.path);
    assert.ok(found, `no problem at ${c.expect.path}; got ${JSON.stringify(problems, null, 1)}`);
    assert.equal(found.file, c.expect.file ?? "slipway.yaml");
    assert.deepEqual(
      [found.line, found.column],
      [c.expect.line, c.expect.column],
      `position of ${found.message}`,
    );
    assert.match(found.message, c.expect.message);
    if (c.expect.hint) assert.match(found.hint ?? "", c.expect.hint);
  });
}

test("several mistakes are reported in one run, in file order", () => {
  const problems = appProblems("replcas: 3\nports:\n  - name: http\n    port: '80'\ncomand: [x]\n");
  assert.deepEqual(
    problems.map((p) => p.path),
    ["replcas", "ports[0].port", "comand"],
  );
  assert.ok(problems.every((p, i) => i === 0 || p.line >= problems[i - 1]!.line));
});
