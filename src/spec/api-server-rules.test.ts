/**
 * Rules of the API server that `validate` now enforces itself, each found by the server-side dry
 * run property test (test/render-dry-run-property.test.ts): refused at its line, not at deploy.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Problem, SlipwayError } from "../core/errors.ts";
import { defaultPlatform, parseAppSpec } from "./parse.ts";

const HEAD = `apiVersion: slipway.dev/v1
kind: App
name: cart
team: t
image: { repository: registry.example.com/cart, tag: "1" }
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

test("an annotation key the API server refuses is refused at its line", () => {
  const [p] = problems("annotations:\n  bad key: x\n");
  assert.equal(p?.path, "annotations.bad key");
  assert.equal(p?.line, 7);
  assert.match(p?.message ?? "", /valid annotation key/);
  parseAppSpec(`${HEAD}annotations: { example.com/owner: x, note: y }\n`, "slipway.yaml", defaultPlatform());
});

test("maxSurge 0 with maxUnavailable 0 (its default) is refused; Recreate and a surge are fine", () => {
  const [p] = problems("rollout: { maxSurge: 0 }\n");
  assert.equal(p?.path, "rollout.maxSurge");
  assert.match(p?.message ?? "", /may not both be 0/);
  assert.equal(problems('rollout: { maxSurge: "0%", maxUnavailable: 0 }\n')[0]?.path, "rollout.maxSurge");
  for (const ok of ["rollout: { maxSurge: 0, maxUnavailable: 1 }\n", "rollout: { maxSurge: 1 }\n"])
    parseAppSpec(HEAD + ok, "slipway.yaml", defaultPlatform());
});

test("two secrets of one name are refused at the second", () => {
  const [p] = problems(
    "secrets:\n  - { name: app, file: a.enc.yaml }\n  - { name: app, file: b.enc.yaml, mountPath: /etc/b }\n",
  );
  assert.equal(p?.path, "secrets[1].name");
  assert.equal(p?.line, 8);
  assert.match(p?.message ?? "", /already secrets\[0\]/);
});

/** Each of these rendered and the API server refused it (kube-apiserver's message in the comment). */
const REFUSED_BY_THE_API_SERVER: readonly [string, string, RegExp][] = [
  // end of range (61) above maximum (59)
  [
    'cronJobs:\n  nightly: { schedule: "61 * * * *", command: [/x] }\n',
    "cronJobs.nightly.schedule",
    /minute `61`: 61 is above the maximum \(59\)/,
  ],
  ['cronJobs:\n  n: { schedule: "0 0 * * 7", command: [/x] }\n', "cronJobs.n.schedule", /day of week/],
  ['cronJobs:\n  n: { schedule: "a b c d e", command: [/x] }\n', "cronJobs.n.schedule", /not a number/],
  ['cronJobs:\n  n: { schedule: "5-2 * * * *", command: [/x] }\n', "cronJobs.n.schedule", /starts after/],
  // only divisor's values 1, 1k, … are supported with the memory resource
  ["env:\n  MEM: { resource: limits.memory, divisor: 2Mi }\n", "env.MEM.divisor", /only 1, 1k/],
  ["env:\n  CPU: { resource: requests.cpu, divisor: 1Mi }\n", "env.CPU.divisor", /only 1m, 1 /],
  ["env:\n  L: { field: \"metadata.labels['bad key']\" }\n", "env.L.field", /not a valid label/],
  // value must be empty when `operator` is 'Exists'
  [
    "placement:\n  tolerations: [{ key: a, operator: Exists, value: x }]\n",
    "placement.tolerations[0].value",
    /leave value out/,
  ],
  // operator must be Exists when `key` is empty
  ["placement:\n  tolerations: [{ value: x }]\n", "placement.tolerations[0].operator", /operator: Exists/],
  // effect must be 'NoExecute' when `tolerationSeconds` is set
  [
    "placement:\n  tolerations: [{ key: a, operator: Exists, tolerationSeconds: 5 }]\n",
    "placement.tolerations[0].tolerationSeconds",
    /NoExecute/,
  ],
  ["placement:\n  nodeSelector: { bad key: x }\n", "placement.nodeSelector.bad key", /label key/],
  // Duplicate value: "{zone, ScheduleAnyway}"
  [
    "placement:\n  topologySpread: [{ topologyKey: zone }, { topologyKey: zone, maxSkew: 2 }]\n",
    "placement.topologySpread[1].topologyKey",
    /a second time/,
  ],
  // must be less than or equal to cpu limit of 100m
  [
    "initContainers:\n  - { name: i, resources: { requests: { cpu: 200m }, limits: { cpu: 100m } } }\n",
    "initContainers[0].resources.limits.cpu",
    /below the request/,
  ],
  // conflicting duplicate paths
  [
    "volumes:\n  - name: certs\n    mountPath: /etc/certs\n    projected:\n      - { secret: a, items: [{ key: k, path: p }] }\n      - { configMap: b, items: [{ key: k, path: p }] }\n",
    "volumes[0].projected[1].items[0].path",
    /already written/,
  ],
  // must not start with '..'
  [
    "volumes:\n  - { name: c, mountPath: /c, projected: [{ secret: a, items: [{ key: k, path: ..p }] }] }\n",
    "volumes[0].projected[0].items[0].path",
    /starts with '\.\.'/,
  ],
  // spec.resources[storage]: must be greater than zero
  [
    "volumes:\n  - { name: d, mountPath: /d, persistent: { size: 0 } }\n",
    "volumes[0].persistent.size",
    /more than zero/,
  ],
  // storageClassName: a lowercase RFC 1123 subdomain
  [
    "processes:\n  db:\n    kind: stateful\n    volumeClaims: [{ name: data, mountPath: /d, size: 1Gi, storageClass: Bad_Class }]\n",
    "processes.db.volumeClaims[0].storageClass",
    /object name/,
  ],
  [
    "processes:\n  db:\n    kind: stateful\n    volumeClaims: [{ name: tmp, mountPath: /d, size: 1Gi }]\n",
    "processes.db.volumeClaims[0].name",
    /Slipway's own volumes/,
  ],
  // spec.minAvailable: must not be greater than 100%
  [
    'replicas: 3\ndisruptionBudget: { minAvailable: "150%" }\n',
    "disruptionBudget.minAvailable",
    /at most 100%/,
  ],
  ['replicas: 3\nrollout: { maxUnavailable: "150%" }\n', "rollout.maxUnavailable", /at most 100%/],
  // a valid HTTP header must consist of alphanumeric characters or '-'
  [
    "ports: [{ name: http, port: 8080 }]\nhealth:\n  readiness: { http: { path: /, headers: { bad header: x } } }\n",
    "health.readiness.http.headers.bad header",
    /HTTP header name/,
  ],
  // nodeSelectorTerms: Required value: must have at least one node selector term
  [
    "placement:\n  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } }\n",
    "placement.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
    /at least one term/,
  ],
  // values: Required value: must be specified when `operator` is 'In' or 'NotIn'
  [
    "placement:\n  affinity:\n    nodeAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n        - { weight: 5, preference: { matchExpressions: [{ key: a, operator: In }] } }\n",
    "placement.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].values",
    /needs at least one value/,
  ],
  // topologyKey: Required value: can not be empty
  [
    "placement:\n  affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: '' }] } }\n",
    "placement.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey",
    /node label key/,
  ],
  // matchLabelKeys: Forbidden: must not be specified when labelSelector is not set
  [
    "placement:\n  affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: zone, matchLabelKeys: [x] }] } }\n",
    "placement.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys",
    /needs a labelSelector/,
  ],
  // weight: must be in the range 1-100
  [
    "placement:\n  affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, podAffinityTerm: { topologyKey: zone } }] } }\n",
    "placement.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
    />=1/,
  ],
  // initContainers[0].ports[1].name: Duplicate value: "p"
  [
    "sidecars:\n  - { name: s, ports: [{ name: p, port: 9000 }, { name: p, port: 9001 }] }\n",
    "sidecars[0].ports[1].name",
    /already used/,
  ],
];

test("fields the API server refuses are refused at validate, at their own path", () => {
  for (const [body, path, message] of REFUSED_BY_THE_API_SERVER) {
    const found = problems(body);
    assert.ok(
      found.some((p) => p.path === path && message.test(p.message)),
      `${body}\nexpected ${path} ${message}, got ${found.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
    );
  }
});

test("the shapes beside those refusals still validate", () => {
  for (const ok of [
    'cronJobs:\n  n: { schedule: "5/15 */2 ? JAN-mar mon-FRI", command: [/x] }\n',
    'cronJobs:\n  n: { schedule: "@daily", command: [/x] }\n',
    'cronJobs:\n  n: { schedule: "0,30 8-18 1,15 * 0-6", command: [/x] }\n',
    "env:\n  MEM: { resource: limits.memory, divisor: 1Mi }\n  CPU: { resource: limits.cpu, divisor: 1m }\n",
    "env:\n  L: { field: \"metadata.labels['app.kubernetes.io/name']\" }\n",
    "placement:\n  tolerations: [{ operator: Exists }, { key: a, value: b, effect: NoExecute, tolerationSeconds: 5 }]\n",
    "placement:\n  topologySpread: [{ topologyKey: zone }, { topologyKey: zone, whenUnsatisfiable: DoNotSchedule }]\n",
    'replicas: 3\ndisruptionBudget: { maxUnavailable: "100%" }\n',
    "placement:\n  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n          - matchExpressions: [{ key: kubernetes.io/arch, operator: In, values: [amd64] }, { key: gpus, operator: Gt, values: ['2'] }]\n            matchFields: [{ key: metadata.name, operator: In, values: [n1] }]\n    podAntiAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n        - weight: 100\n          podAffinityTerm: { labelSelector: { matchLabels: { app: cart } }, topologyKey: kubernetes.io/hostname, matchLabelKeys: [pod-template-hash] }\n",
  ])
    parseAppSpec(HEAD + ok, "slipway.yaml", defaultPlatform());
});
