/**
 * The team an app belongs to comes from the operator's platform file when it lists the team's
 * apps: a repository cannot claim another team (and its keys, namespaces and hosts) by writing
 * its name into slipway.yaml.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Problem, SlipwayError } from "../core/errors.ts";
import { parseAppSpec, parsePlatform } from "./parse.ts";

const PLATFORM = parsePlatform(
  `apiVersion: slipway.dev/v1
kind: Platform
clusters:
  - name: local
    gitops: { directory: gitops }
channels:
  - { name: develop, cluster: local, domain: develop.example.com }
teams:
  - { name: commerce, apps: [cart, checkout] }
  - { name: finance, apps: [ledger] }
  - { name: platform }
`,
  "slipway.platform.yaml",
);

function app(name: string, team: string): string {
  return `apiVersion: slipway.dev/v1
kind: App
name: ${name}
team: ${team}
image:
  repository: registry.example.com/${name}
`;
}

function problems(name: string, team: string): Problem[] {
  try {
    parseAppSpec(app(name, team), "slipway.yaml", PLATFORM);
    return [];
  } catch (error) {
    assert.ok(error instanceof SlipwayError, String(error));
    return [...error.problems];
  }
}

test("an app registered to one team cannot claim another", () => {
  const [problem, ...rest] = problems("cart", "finance");
  assert.deepEqual(rest, []);
  assert.equal(problem?.path, "team");
  assert.equal(problem?.line, 4);
  assert.match(
    problem?.message ?? "",
    /app `cart` is registered to team `commerce` in the platform file, not `finance`/,
  );
});

test("a team that lists its apps admits no other app", () => {
  const [problem] = problems("payroll-export", "finance");
  assert.match(
    problem?.message ?? "",
    /app `payroll-export` is not one of team `finance`'s apps in the platform file \(ledger\)/,
  );
  assert.match(problem?.hint ?? "", /ask the platform team to add payroll-export to team finance's apps/);
});

test("registered apps, and apps of a team that lists none, validate as before", () => {
  assert.deepEqual(problems("cart", "commerce"), []);
  assert.deepEqual(problems("ledger", "finance"), []);
  assert.deepEqual(problems("mailer", "platform"), []);
});
