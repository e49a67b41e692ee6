/**
 * Nothing in the spec is silently dropped: an app that sets every field renders objects in which
 * each value can be found; Gateway API routing; the platform's default channels; render errors
 * point into slipway.yaml.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import { parseAppSpec, parsePlatform } from "../spec/parse.ts";
import { render } from "./render.ts";
import { objectsToYaml } from "./yaml-output.ts";

const PLATFORM = `apiVersion: slipway.dev/v1
kind: Platform
clusters:
  - name: c1
    gitops: { directory: gitops }
previews: { cluster: c1, domain: pr.example.com }
routing:
  kind: gateway
  gateway: { name: public, namespace: gateways }
  hosts: [{ host: full.example.com, team: core, apps: [full] }]
labels: { example.com/owner: platform }
`;

const EVERYTHING = `apiVersion: slipway.dev/v1
kind: App
name: full
team: core
description: sets every field
image: { repository: reg.example.com/core/full, tag: "3.1.4", pullPolicy: IfNotPresent }
ports:
  - { name: http, port: 8080 }
  - { name: admin, port: 9000, protocol: TCP, expose: false }
command: [/bin/full]
args: [--serve]
env: { FEATURE_X: "on", RETRIES: 3 }
configFiles:
  - { path: /etc/full/app.toml, content: "mode = 'strict'" }
secrets:
  - { name: db, file: secrets/db.enc.yaml, mountPath: /var/run/db }
  - { name: api, file: secrets/api.enc.env, env: false, mountPath: /var/run/api }
resources: { requests: { cpu: 150m, memory: 96Mi }, limits: { cpu: "2", memory: 321Mi } }
autoscaling:
  minReplicas: 3
  maxReplicas: 17
  cpu: 61
  memory: 77
  external: [{ metric: queue.depth, selector: { queue: jobs }, averageValue: "33" }]
rollout: { maxSurge: 2, maxUnavailable: 1, progressDeadlineSeconds: 321, revisionHistoryLimit: 7 }
health:
  readiness: { http: { path: /ready, port: http, scheme: HTTP, headers: { X-Probe: ready } }, initialDelaySeconds: 4, periodSeconds: 6, timeoutSeconds: 2, failureThreshold: 5, successThreshold: 2 }
  liveness: { tcp: { port: admin }, periodSeconds: 13 }
  startup: { exec: { command: [/bin/check, --startup] }, failureThreshold: 44 }
warmup: { command: [/bin/warm, --cache] }
shutdown: { preStopDelaySeconds: 12, terminationGracePeriodSeconds: 55 }
routes:
  - { host: full.example.com, paths: [/api, /v2], port: http, tls: true }
securityContext: { runAsNonRoot: true, runAsUser: 10123, runAsGroup: 10124, fsGroup: 10125, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, addCapabilities: [NET_BIND_SERVICE] }
serviceAccount: { name: full--runner, automountToken: true, annotations: { iam.example.com/role: full-role } }
networkPolicy: { enabled: true, callers: [gateway-app, billing] }
dependencies: [{ name: full-db, type: postgres, version: "16" }]
labels: { example.com/tier: backend }
annotations: { example.com/runbook: https://runbooks.example.com/full }
policy:
  waivers: [{ rule: image-digest, reason: tags are fine in this example, expires: 2099-01-01 }]
`;

const platform = parsePlatform(PLATFORM, "platform.yaml");
const app = parseAppSpec(EVERYTHING, "slipway.yaml", platform);

function find(objects: KubeObject[], kind: string): KubeObject {
  const found = objects.find((o) => o.kind === kind);
  assert.ok(found, `no ${kind} among ${objects.map((o) => o.kind).join(", ")}`);
  return found;
}

test("every value of a fully-populated spec reaches the rendered objects", () => {
  const { objects } = render({ app, platform, target: "stable" });
  const yaml = objectsToYaml(objects);
  const expected = [
    "reg.example.com/core/full:3.1.4",
    "IfNotPresent",
    "containerPort: 8080",
    "containerPort: 9000",
    "/bin/full",
    "--serve",
    "FEATURE_X",
    '"on"',
    '"3"',
    "mode = 'strict'",
    "/etc/full/app.toml",
    "full-db",
    "secrets/db.enc.yaml",
    "/var/run/db",
    "secrets/api.enc.env",
    "/var/run/api",
    "cpu: 150m",
    "memory: 96Mi",
    'cpu: "2"',
    "memory: 321Mi",
    "minReplicas: 3",
    "maxReplicas: 17",
    "averageUtilization: 61",
    "averageUtilization: 77",
    "queue.depth",
    "queue: jobs",
    'averageValue: "33"',
    "maxSurge: 2",
    "maxUnavailable: 1",
    "progressDeadlineSeconds: 321",
    "revisionHistoryLimit: 7",
    "path: /ready",
    "X-Probe",
    "initialDelaySeconds: 4",
    "periodSeconds: 6",
    "timeoutSeconds: 2",
    "failureThreshold: 5",
    "successThreshold: 2",
    "periodSeconds: 13",
    "/bin/check",
    "failureThreshold: 44",
    "/bin/warm",
    "seconds: 12",
    "terminationGracePeriodSeconds: 55",
    "full.example.com",
    "/api",
    "/v2",
    "runAsUser: 10123",
    "runAsGroup: 10124",
    "fsGroup: 10125",
    "NET_BIND_SERVICE",
    "full--runner",
    "iam.example.com/role: full-role",
    "gateway-app",
    "billing",
    "postgres:16",
    "example.com/tier: backend",
    "https://runbooks.example.com/full",
    "sets every field",
    "example.com/owner: platform",
  ];
  for (const text of expected) assert.ok(yaml.includes(text), `rendered YAML lacks ${text}`);
  const deployment = find(objects, "Deployment");
  const pod = (deployment.spec as { template: { spec: Record<string, unknown> } }).template.spec;
  assert.equal(pod.automountServiceAccountToken, true);
  const container = (pod.containers as Record<string, unknown>[])[0]!;
  assert.deepEqual(
    container.envFrom,
    [{ secretRef: { name: "full-db" } }],
    "env: false keeps a secret out of the environment",
  );
  const service = find(objects, "Service");
  assert.deepEqual(
    (service.spec as { ports: { name: string }[] }).ports.map((p) => p.name),
    ["http"],
    "expose: false stays out of the Service",
  );
});

test("Gateway API routing renders an HTTPRoute on the platform's gateway", () => {
  const { objects } = render({ app, platform, target: "stable" });
  assert.ok(!objects.some((o) => o.kind === "Ingress"));
  const route = find(objects, "HTTPRoute");
  assert.deepEqual((route.spec as { parentRefs: unknown }).parentRefs, [
    { name: "public", namespace: "gateways" },
  ]);
  assert.deepEqual((route.spec as { hostnames: unknown }).hostnames, ["full.example.com"]);
});

test("a platform without channels gets develop → integration → staging → beta → stable", () => {
  assert.deepEqual(
    platform.platform.channels.map((c) => [c.name, c.cluster, c.production ?? false]),
    [
      ["develop", "c1", false],
      ["integration", "c1", false],
      ["staging", "c1", false],
      ["beta", "c1", false],
      ["stable", "c1", true],
    ],
  );
});

test("a value the renderer cannot place is an error at its line in slipway.yaml", () => {
  const broken = parseAppSpec(
    EVERYTHING.replace("tcp: { port: admin }", "tcp: { port: grpc }"),
    "slipway.yaml",
    platform,
  );
  assert.throws(
    () => render({ app: broken, platform, target: "develop" }),
    (error: SlipwayError) => {
      const p = error.problems[0]!;
      assert.equal(p.path, "health.liveness.tcp.port");
      assert.equal(p.line, 28);
      assert.match(
        p.message,
        /names port `grpc`, which is not declared under ports \(declared: http, admin\)/,
      );
      return true;
    },
  );
  const shortGrace = parseAppSpec(
    EVERYTHING.replace("terminationGracePeriodSeconds: 55", "terminationGracePeriodSeconds: 10"),
    "slipway.yaml",
    platform,
  );
  assert.throws(
    () => render({ app: shortGrace, platform, target: "develop" }),
    (error: SlipwayError) =>
      error.problems[0]?.path === "shutdown.terminationGracePeriodSeconds" &&
      /must be larger than preStopDelaySeconds \(12\)/.test(error.problems[0].message),
  );
});

test("a preview owns its namespace and gets a host under the preview domain", () => {
  const { objects, target } = render({ app, platform, target: "preview:feature/Login_Form" });
  // Not a DNS label as written, so the label carries a hash of the branch: no other branch maps here.
  assert.match(target.namespace, /^full-pr-feature-login-form--[0-9a-f]{8}$/);
  assert.equal(find(objects, "Namespace").metadata.name, target.namespace);
  assert.equal(target.name, `preview-${target.namespace.slice("full-pr-".length)}`);
  const plain = render({ app, platform, target: "preview:login-form" }).target;
  assert.equal(plain.namespace, "full-pr-login-form", "a branch that is a DNS label keeps its name");
});
