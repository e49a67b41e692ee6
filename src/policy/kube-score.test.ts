/**
 * Verdicts compared with the real kube-score (v1.20.0, built by `npm run tools -- kube-score`) on
 * the same manifests: where both tools have a check for the same problem, they must agree on
 * which objects have it. Fails (never skips) when kube-score is missing, naming that command.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { stringify } from "yaml";
import type { KubeObject } from "../core/kube-object.ts";
import { peerPath } from "../testing/peers.ts";
import { builtinRules } from "./catalog.ts";
import { evaluate } from "./engine.ts";
import { changed, deployment, firstContainer, goodApp, hpa, ingress, service } from "./fixtures.ts";

/** Pairs of (kube-score check, Slipway rule) that judge the same thing. */
const pairs = [
  ["container-image-tag", "image-not-latest"],
  ["service-targets-pod", "service-selects-workload"],
  ["ingress-targets-service", "ingress-backends-exist"],
  ["horizontalpodautoscaler-has-target", "hpa-target-exists"],
  ["container-security-context-privileged", "no-privileged"],
] as const;

const inOtherNamespace = (o: KubeObject): KubeObject => ({
  ...o,
  metadata: { ...o.metadata, namespace: "bad" },
});
const objects: KubeObject[] = [
  ...goodApp(),
  ...[
    changed(deployment("latest"), (d) => {
      firstContainer(d).image = "nginx:latest";
    }),
    changed(deployment("root"), (d) => {
      (firstContainer(d).securityContext as { privileged?: boolean }).privileged = true;
    }),
    service("orphan", { "app.kubernetes.io/name": "nobody" }),
    ingress("dangling", "missing-service"),
    hpa("ghost", "no-such-deployment"),
  ].map(inOtherNamespace),
];

interface ScoredObject {
  type_meta: { kind: string };
  object_meta: { name: string; namespace?: string };
  checks: { check: { id: string }; grade: number; skipped: boolean }[];
}

function kubeScoreFailures(): Set<string> {
  const binary = peerPath("kube-score");
  const dir = mkdtempSync(join(tmpdir(), "slipway-kube-score-"));
  const file = join(dir, "objects.yaml");
  writeFileSync(file, objects.map((o) => stringify(o)).join("---\n"));
  const run = spawnSync(
    binary,
    [
      "score",
      file,
      "--output-format",
      "json",
      "--enable-optional-test",
      "container-security-context-privileged",
    ],
    { encoding: "utf8" },
  );
  assert.ok(run.stdout.trim().startsWith("["), `kube-score printed no JSON: ${run.stderr}`);
  const failed = new Set<string>();
  for (const o of JSON.parse(run.stdout) as ScoredObject[]) {
    const ref = `${o.type_meta.kind}/${o.object_meta.namespace ?? ""}/${o.object_meta.name}`;
    // Grades: 10 all OK, 7 almost OK, 5 warning, 1 critical.
    for (const c of o.checks) if (!c.skipped && c.grade <= 5) failed.add(`${c.check.id} ${ref}`);
  }
  return failed;
}

test("Slipway and kube-score agree on which objects fail the checks both tools have", () => {
  const theirs = kubeScoreFailures();
  const ours = evaluate(objects, builtinRules);
  for (const [check, rule] of pairs) {
    const k = [...theirs].filter((f) => f.startsWith(`${check} `)).map((f) => f.slice(check.length + 1));
    const s = [...new Set(ours.filter((f) => f.ruleId === rule).map((f) => f.object))];
    assert.deepEqual(s.sort(), k.sort(), `${rule} vs kube-score ${check}`);
    assert.ok(s.length > 0, `${rule}: the fixture set should exercise this pair`);
  }
});
