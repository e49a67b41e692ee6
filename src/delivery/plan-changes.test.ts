import assert from "node:assert/strict";
import { test } from "node:test";
import { isSlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import { changeDiff } from "./change-diff.ts";
import { canonical, manifestYaml, parseManifestYaml } from "./manifest-yaml.ts";
import { planChanges } from "./plan-changes.ts";
import { REDACTED, REDACTED_CHANGED } from "./redact.ts";

const scope = { app: "shop", target: "stable" };

function configMap(name: string, data: Record<string, string>): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "shop" }, data };
}

function secret(data: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "db", namespace: "shop" },
    type: "Opaque",
    data,
  };
}

test("objects are created, updated, left alone or pruned, matched by kind, namespace and name", () => {
  const current = [configMap("a", { x: "1" }), configMap("b", { x: "1" }), configMap("gone", {})];
  const desired = [configMap("b", { x: "2" }), configMap("a", { x: "1" }), configMap("new", {})];
  const changes = planChanges(desired, current, { scope, prune: true });
  assert.deepEqual(
    changes.map((c) => [c.ref, c.action]),
    [
      ["ConfigMap/shop/b", "update"],
      ["ConfigMap/shop/a", "unchanged"],
      ["ConfigMap/shop/new", "create"],
      ["ConfigMap/shop/gone", "delete"],
    ],
  );
  assert.equal(planChanges(desired, current, { scope, prune: false }).length, 3);
});

test("key order does not make an object look changed", () => {
  const a: KubeObject = { kind: "ConfigMap", apiVersion: "v1", metadata: { namespace: "shop", name: "a" } };
  const b: KubeObject = { apiVersion: "v1", metadata: { name: "a", namespace: "shop" }, kind: "ConfigMap" };
  assert.equal(planChanges([a], [b], { scope, prune: true })[0]?.action, "unchanged");
});

test("pruning a target down to nothing needs explicit consent", () => {
  const error = (() => {
    try {
      planChanges([], [configMap("a", {})], { scope, prune: true });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(isSlipwayError(error) && error.code === "SLIPWAY_E_INPUT", String(error));
  assert.match(String((error as Error).message), /shop in stable down to zero objects/);
  assert.equal(
    planChanges([], [configMap("a", {})], { scope, prune: true, allowEmpty: true })[0]?.action,
    "delete",
  );
});

test("a plan and its diff name which secret keys changed but never show a value", () => {
  const [change] = planChanges(
    [secret({ user: "YWRtaW4=", password: "bmV3" })],
    [secret({ user: "YWRtaW4=", password: "b2xk" })],
    {
      scope,
      prune: true,
    },
  );
  assert.equal(change?.action, "update");
  assert.deepEqual(change?.after?.data, { user: REDACTED, password: REDACTED_CHANGED });
  const text = changeDiff(change!);
  assert.match(text, /^- {2}password: <redacted>$/m);
  assert.match(text, /^\+ {2}password: <redacted, changed>$/m);
  assert.doesNotMatch(text, /bmV3|b2xk|YWRtaW4=/);
});

test("a render that holds one object twice is refused", () => {
  assert.throws(
    () => planChanges([configMap("a", {}), configMap("a", {})], [], { scope, prune: false }),
    /twice/,
  );
});

test("strings that YAML 1.1 readers would take for booleans, octals or timestamps stay strings", () => {
  const tricky = configMap("t", { a: "on", b: "0755", c: "2026-11-23T12:00:00Z", d: "yes", e: "0o17" });
  const text = manifestYaml(tricky);
  assert.match(text, /a: "on"/);
  assert.match(text, /c: "2026-11-23T12:00:00Z"/);
  assert.deepEqual(parseManifestYaml(text), canonical(tricky, true));
});
