/**
 * The sections few apps write (volumes, sidecars, placement, parts, the escape hatch) have schemas
 * built on first use. Reached through an environment's override, a value written as text, or a
 * mistake deep inside, they behave as every other field does.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Problem, SlipwayError } from "../core/errors.ts";
import { parseAppSpec, parsePlatform, resolveAppSpec } from "./parse.ts";

const PLATFORM = parsePlatform(
  `apiVersion: slipway.dev/v1
kind: Platform
clusters:
  - name: local
    gitops: { directory: gitops }
channels:
  - { name: develop, cluster: local, domain: develop.example.com }
  - { name: stable, cluster: local, domain: example.com, production: true }
`,
  "slipway.platform.yaml",
);

const APP = `apiVersion: slipway.dev/v1
kind: App
name: cart
team: commerce
image:
  repository: registry.example.com/cart
  tag: "1"
cronJobs:
  nightly:
    schedule: "0 3 * * *"
    command: [prune]
sidecars:
  - name: proxy
    image: registry.example.com/proxy:1
    env:
      PROXY_VERSION: 1.10
placement:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions: [{ key: kubernetes.io/arch, operator: In, values: [amd64] }]
`;

function problemsOf(body: string): Problem[] {
  try {
    parseAppSpec(APP + body, "slipway.yaml", PLATFORM);
  } catch (error) {
    assert.ok(error instanceof SlipwayError, `expected a SlipwayError, got ${String(error)}`);
    return [...error.problems];
  }
  assert.fail("expected the input to be rejected");
}

test("an override changes one field of a cron job and one of the affinity, keeping the rest", () => {
  const app = parseAppSpec(
    `${APP}environments:
  stable:
    cronJobs:
      nightly: { suspend: true }
    placement:
      affinity:
        nodeAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 10
              preference: { matchExpressions: [{ key: zone, operator: Exists }] }
`,
    "slipway.yaml",
    PLATFORM,
  );
  const stable = resolveAppSpec(app, PLATFORM, "stable");
  assert.deepEqual(stable.cronJobs?.nightly, { schedule: "0 3 * * *", command: ["prune"], suspend: true });
  const nodeAffinity = stable.placement?.affinity?.nodeAffinity;
  assert.equal(nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms.length, 1);
  assert.equal(nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0]?.weight, 10);
});

test("a sidecar's env value keeps the text written, in the app and in an override", () => {
  const app = parseAppSpec(
    `${APP}environments:
  stable:
    sidecars:
      - name: proxy
        env: { PROXY_VERSION: 2.10 }
`,
    "slipway.yaml",
    PLATFORM,
  );
  assert.equal(app.spec.sidecars?.[0]?.env?.PROXY_VERSION, "1.10");
  assert.equal(resolveAppSpec(app, PLATFORM, "stable").sidecars?.[0]?.env?.PROXY_VERSION, "2.10");
});

test("mistakes deep inside these sections, in an override, are reported at their field", () => {
  const problems = problemsOf(`environments:
  stable:
    cronJobs:
      nightly: { suspnd: true }
    placement:
      affinity:
        nodeAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 101
              preference: { matchExpressions: [{ key: zone, operator: Exists }] }
    patches:
      replicas:
        target: { kind: Deployment }
        jsonPatch: [{ op: remove, path: /spec/replicas, value: 1 }]
`);
  const at = (path: string) => problems.find((p) => p.path === path);
  assert.match(at("environments.stable.cronJobs.nightly.suspnd")?.hint ?? "", /did you mean `suspend`/);
  assert.match(
    at(
      "environments.stable.placement.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
    )?.message ?? "",
    /<=100/,
  );
  assert.match(
    at("environments.stable.patches.replicas.jsonPatch[0].value")?.message ?? "",
    /`remove` takes no value/,
  );
  assert.equal(problems.length, 3, JSON.stringify(problems, null, 2));
});
