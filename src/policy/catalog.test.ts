import assert from "node:assert/strict";
import { test } from "node:test";
import { builtinRules } from "./catalog.ts";
import { evaluate } from "./engine.ts";
import { goodApp } from "./fixtures.ts";
import { verifyRuleExamples } from "./rule-examples.ts";

test("the catalog has at least 30 rules with unique kebab-case IDs and full documentation", () => {
  assert.ok(builtinRules.length >= 30, `only ${builtinRules.length} rules`);
  const ids = new Set<string>();
  for (const r of builtinRules) {
    assert.match(r.id, /^[a-z][a-z0-9-]+$/, r.id);
    assert.ok(!ids.has(r.id), `duplicate id ${r.id}`);
    ids.add(r.id);
    for (const field of ["title", "rationale", "hint"] as const)
      assert.ok(r[field].length > 5, `${r.id}.${field}`);
    assert.ok(r.kinds.length > 0, `${r.id} looks at no kind`);
  }
});

for (const rule of builtinRules) {
  test(`rule ${rule.id}: its passing example passes and its failing example reports the expected path and message`, () => {
    assert.deepEqual(verifyRuleExamples(rule), []);
  });
}

test("the reference app passes every rule, also in a production channel with required labels", () => {
  const findings = evaluate(goodApp(), builtinRules, {
    context: { channel: "stable", production: true, requiredLabels: ["team", "app.kubernetes.io/name"] },
  });
  assert.deepEqual(findings, []);
});

test("rule IDs are stable: waivers and platform files name them, so none disappears or is renamed by accident", () => {
  const published = [
    "allowed-capabilities",
    "api-deprecated",
    "api-removed",
    "container-memory-limit",
    "container-requests",
    "drop-all-capabilities",
    "env-no-secret-literals",
    "graceful-shutdown",
    "hpa-metrics-sane",
    "hpa-min-replicas",
    "hpa-target-exists",
    "httproute-backends-exist",
    "image-digest",
    "image-not-latest",
    "image-pull-policy",
    "ingress-backends-exist",
    "liveness-probe",
    "namespace-set",
    "network-policy-present",
    "no-host-ipc",
    "no-host-network",
    "no-host-path",
    "no-host-pid",
    "no-privilege-escalation",
    "no-privileged",
    "pdb-allows-eviction",
    "pdb-for-replicated",
    "probes-distinct",
    "read-only-root-filesystem",
    "readiness-probe",
    "replicas-production",
    "required-labels",
    "rolling-update-availability",
    "run-as-non-root",
    "seccomp-profile",
    "service-account-token",
    "service-selects-workload",
    "startup-probe",
    "topology-spread",
  ];
  const current = builtinRules.map((r) => r.id);
  for (const id of published)
    assert.ok(current.includes(id), `rule ${id} was removed or renamed; waivers naming it would break`);
});
