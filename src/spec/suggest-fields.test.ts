/**
 * What people write when they bring a Kubernetes manifest or Helm values to slipway.yaml, and the
 * hint each gets at its line: Slipway's name for the field, Slipway's form of a `valueFrom`, or —
 * for a field Slipway does not have — the patch that sets it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Problem, SlipwayError } from "../core/errors.ts";
import { defaultPlatform, parseAppSpec, parsePlatform } from "./parse.ts";

const HEAD = `apiVersion: slipway.dev/v1
kind: App
name: cart
team: t
image: { repository: registry.example.com/cart }
`;

function problems(body: string): Problem[] {
  try {
    parseAppSpec(HEAD + body, "slipway.yaml", defaultPlatform());
  } catch (error) {
    assert.ok(error instanceof SlipwayError);
    return [...error.problems];
  }
  assert.fail("expected a refusal");
}

function hintAt(body: string, path: string): string {
  const found = problems(body).find((p) => p.path === path);
  assert.ok(found, `no problem at ${path}: ${JSON.stringify(problems(body))}`);
  return found.hint ?? "";
}

const cases: [name: string, body: string, path: string, hint: RegExp][] = [
  [
    "containerPort → port",
    "ports: [{ name: http, containerPort: 80 }]\n",
    "ports[0].containerPort",
    /Slipway calls the container's port `port`/,
  ],
  ["replicaCount → replicas", "replicaCount: 3\n", "replicaCount", /`replicas`/],
  [
    "targetCPUUtilizationPercentage → cpu",
    "autoscaling: { minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 80 }\n",
    "autoscaling.targetCPUUtilizationPercentage",
    /Slipway calls it `cpu`/,
  ],
  [
    "the same inside a process",
    "processes:\n  worker:\n    command: [w]\n    autoscaling: { minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 80 }\n",
    "processes.worker.autoscaling.targetCPUUtilizationPercentage",
    /`cpu`/,
  ],
  [
    "livenessProbe → health.liveness",
    "livenessProbe: { httpGet: { path: / } }\n",
    "livenessProbe",
    /health: \{ liveness/,
  ],
  [
    "httpGet → http",
    "health: { readiness: { httpGet: { path: / } } }\n",
    "health.readiness.httpGet",
    /`http`/,
  ],
  [
    "a GPU limit: resources are cpu and memory, the rest is a patch",
    "resources: { limits: { cpu: 1, nvidia.com/gpu: 1 } }\n",
    "resources.limits.nvidia.com/gpu",
    /cpu and memory; for nvidia\.com\/gpu, patch the container: .*resources: \{ limits: \{ nvidia\.com\/gpu: 1 \} \}/,
  ],
  [
    "a pod field Slipway does not have names the escape hatch with the patch",
    "hostNetwork: true\n",
    "hostNetwork",
    /Slipway has no `hostNetwork` here .*`patches:` such as \{ <name>: \{ target: \{ kind: Deployment \}, strategicMerge: \{ spec: \{ template: \{ spec: \{ hostNetwork: … \} \} \} \} \} \}/,
  ],
  [
    "any other unknown field names the escape hatch",
    "frobnicate: true\n",
    "frobnicate",
    /Slipway has no `frobnicate` here \(it has: .*replicas.*\); what Slipway does not model goes in a patch/,
  ],
  [
    "a Helm-style secretKeyRef valueFrom says how Slipway writes it",
    "env:\n  DB_PASSWORD:\n    valueFrom:\n      secretKeyRef: { name: db, key: password }\n",
    "env.DB_PASSWORD.valueFrom",
    /write it as \{ secret: db, key: password \}/,
  ],
  [
    "a fieldRef valueFrom",
    "env:\n  POD_IP: { valueFrom: { fieldRef: { fieldPath: status.podIP } } }\n",
    "env.POD_IP.valueFrom",
    /write it as \{ field: status\.podIP \}/,
  ],
  [
    "Kubernetes' env list",
    "env:\n  - { name: A, value: b }\n  - name: P\n    valueFrom: { configMapKeyRef: { name: c, key: k } }\n",
    "env",
    /env is a map of NAME: value here, not Kubernetes' list: \{ A: "b", P: \{ configMap: c, key: k \} \}/,
  ],
  ["a misspelling still gets did-you-mean", "replcas: 3\n", "replcas", /did you mean `replicas`\?/],
  ["a key named like an object's own property", "toString: 1\n", "toString", /Slipway has no `toString`/],
];

for (const [name, body, path, hint] of cases) {
  test(`hint: ${name}`, () => {
    assert.match(hintAt(body, path), hint);
  });
}

test("the platform file, which has no escape hatch, lists its fields instead", () => {
  try {
    parsePlatform(
      "apiVersion: slipway.dev/v1\nkind: Platform\nclusters: [{ name: l, gitops: { directory: g } }]\nfrobnicate: 1\n",
      "slipway.platform.yaml",
    );
    assert.fail("expected a refusal");
  } catch (error) {
    assert.ok(error instanceof SlipwayError);
    const problem = error.problems.find((p) => p.path === "frobnicate");
    assert.match(problem?.hint ?? "", /^allowed here: /);
    assert.doesNotMatch(problem?.hint ?? "", /patches/);
  }
});
