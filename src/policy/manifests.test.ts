import assert from "node:assert/strict";
import { test } from "node:test";
import { isSlipwayError } from "../core/errors.ts";
import { parseManifests } from "./manifests.ts";

function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isSlipwayError(error))
      return error.problems.map((p) => `${p.file}:${p.line} ${p.path} ${p.message}`).join("\n");
    throw error;
  }
  assert.fail("expected an input error");
}

test("multi-document YAML with comments and empty documents gives objects with their first line", () => {
  const text =
    "# Source: chart/templates/sa.yaml\n---\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 80\n";
  const objects = parseManifests(text, "out.yaml");
  assert.deepEqual(
    objects.map((o) => `${o.object.kind}@${o.line}`),
    ["ServiceAccount@4", "Service@9"],
  );
  assert.equal(objects[1]?.lineOf(["spec", "ports", 0, "port"]), 15);
});

test("unparseable YAML is an input error naming file and line", () => {
  const problem = problemOf(() =>
    parseManifests("apiVersion: v1\nkind: Service\nmetadata:\n  name: [web\n", "bad.yaml"),
  );
  assert.match(problem, /^bad\.yaml:\d+ /);
});

test("a document without kind or name is refused with its line and field", () => {
  const problem = problemOf(() =>
    parseManifests("apiVersion: v1\nkind: Service\n---\napiVersion: v1\nmetadata:\n  name: x\n", "m.yaml"),
  );
  assert.match(problem, /m\.yaml:1 metadata /);
  assert.match(problem, /m\.yaml:4 kind /);
});

test("a kind: List is expanded into its items", () => {
  const text =
    "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: { name: a }\n";
  assert.deepEqual(
    parseManifests(text, "l.yaml").map((o) => `${o.object.kind}/${o.object.metadata.name}@${o.line}`),
    ["ConfigMap/a@4"],
  );
});

test("a YAML error in a later document names its line in the whole file", () => {
  const text =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  name: c\n";
  assert.match(
    problemOf(() => parseManifests(text, "two.yaml")),
    /^two\.yaml:10 .*duplicated mapping key/,
  );
});

test("dates in labels stay strings, as the API server reads them", () => {
  const text =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    released: '2026-01-01'\n    day: 2026-01-01\n";
  const [o] = parseManifests(text, "d.yaml");
  assert.deepEqual(o?.object.metadata.labels, { released: "2026-01-01", day: "2026-01-01" });
});

test("document end markers and content on the --- line are understood", () => {
  const text =
    "--- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n...\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n";
  assert.deepEqual(
    parseManifests(text, "m.yaml").map((o) => `${o.object.metadata.name}@${o.line}`),
    ["a@1", "b@4"],
  );
});

const pod = (spec: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n${spec.replace(/^/gm, "  ")}\n`;

test("YAML 1.1 booleans and numbers are read as the API server reads them", () => {
  const [o] = parseManifests(
    pod(
      "hostNetwork: yes\nhostPID: on\nhostIPC: off\nsecurityContext:\n  runAsNonRoot: yes\n  runAsUser: 0x3E8\n  fsGroup: 0755\n  supplementalGroups: [1_000, '0755']\ncontainers:\n  - name: app\n    image: r/app:1\n    securityContext: { privileged: Y, allowPrivilegeEscalation: NO }",
    ),
    "p.yaml",
  );
  const spec = o?.object.spec as Record<string, unknown>;
  assert.equal(spec.hostNetwork, true);
  assert.equal(spec.hostPID, true);
  assert.equal(spec.hostIPC, false);
  assert.deepEqual(spec.securityContext, {
    runAsNonRoot: true,
    runAsUser: 1000,
    fsGroup: 493,
    supplementalGroups: [1000, "0755"],
  });
  assert.deepEqual((spec.containers as { securityContext: unknown }[])[0]?.securityContext, {
    privileged: true,
    allowPrivilegeEscalation: false,
  });
});

test("merge keys are expanded: a container built from an anchored base has its image", () => {
  const text = pod(
    "initContainers:\n  - &base { name: init, image: r/app:1, imagePullPolicy: Always }\ncontainers:\n  - <<: *base\n    name: app",
  );
  const [o] = parseManifests(text, "m.yaml");
  assert.ok(o);
  const containers = (o.object.spec as { containers: unknown[] }).containers;
  assert.deepEqual(containers[0], { name: "app", image: "r/app:1", imagePullPolicy: "Always" });
  assert.equal(o.lineOf(["spec", "containers", 0, "name"]), 10);
});

test("a billion-laughs alias bomb is refused at once, naming file and line", () => {
  const levels = ["  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (const [i, n] of [..."bcdefghi"].entries()) {
    const prev = "abcdefghi"[i];
    levels.push(`  ${n}: &${n} [${Array(9).fill(`*${prev}`).join(", ")}]`);
  }
  const bomb = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n${levels.join("\n")}\n`;
  const started = performance.now();
  const problem = problemOf(() => parseManifests(bomb, "bomb.yaml"));
  assert.ok(performance.now() - started < 1000);
  assert.match(problem, /^bomb\.yaml:\d+ +aliases expand this document by more than 100,000 nodes/);
});

test("nesting deeper than the limit is an input error, not a stack overflow", () => {
  const deep = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: d }\ndata: ${"[".repeat(5000)}${"]".repeat(5000)}\n`;
  assert.match(
    problemOf(() => parseManifests(deep, "deep.yaml")),
    /^deep\.yaml:4 /,
  );
});

test("a merge key overwrites keys written before it and yields to keys written after, as kubectl reads it", () => {
  const text =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n  labels:\n    tier: before\n    <<: [{ tier: first, zone: first }, { zone: second, ring: second }]\n    ring: after\n";
  const [o] = parseManifests(text, "m.yaml");
  assert.deepEqual(o?.object.metadata.labels, { tier: "first", zone: "first", ring: "after" });
  assert.match(
    problemOf(() => parseManifests(text.replace("ring: after", "ring: after\n    ring: again"), "m.yaml")),
    /duplicated mapping key/,
  );
});
