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

test("dates and numbers in labels stay strings, as the API server reads them (YAML 1.2 core schema)", () => {
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
