/**
 * Whatever validates is accepted: generated slipway.yaml files that pass validation (parsing and
 * rendering, as `slipway validate` does) render objects the real API server accepts in a
 * server-side dry run (dryRun=All) — every object, in one request per app.
 *
 * The generator draws each field from a small pool of values chosen to meet the API server's
 * rules, colliding values included (two ports on one number, a secret mounted at /tmp, a glob
 * path, an annotation key with a space…): a spec that Slipway refuses is skipped, one it accepts
 * must be accepted by the API server too.
 *
 * TO ADD A FIELD: add one entry to FIELDS below — the field's name in slipway.yaml and an
 * arbitrary of its value. Draw from small pools of plausible values and deliberately include the
 * collisions and edge cases users meet; every entry is optional in each generated spec. A field
 * that needs an object besides the app (a CRD, a namespace) belongs in `platform` or in the
 * cluster setup at the top, not in the generator. The test asserts that at least a fifth of
 * the specs validate, so a new field must mostly draw valid values (see `mostly`).
 *
 * SLIPWAY_PROPERTY_RUNS=400 runs more specs (80 by default, ~10 s); SLIPWAY_DEBUG_GEN=1 prints why
 * each refused spec was refused, to tune a new field's pool.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { stringify } from "yaml";
import { isSlipwayError } from "../src/core/errors.ts";
import { render } from "../src/render/render.ts";
import { objectsToYaml } from "../src/render/yaml-output.ts";
import { parseAppSpec, parsePlatform } from "../src/spec/parse.ts";
import { peerPath } from "../src/testing/peers.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

/**
 * The app's own namespace (the pattern holds {app}): references to Secrets it does not render are
 * then the app's business, as they would not be in a namespace several apps share
 * (src/render/shared-namespace.test.ts).
 */
const NAMESPACE = "prop-dry-run-property";
const platform = parsePlatform(
  `apiVersion: slipway.dev/v1
kind: Platform
clusters:
  - { name: local, gitops: { directory: gitops } }
channels:
  - { name: develop, cluster: local, namespace: "{app}-dry-run-property", domain: develop.example.com }
`,
  "slipway.platform.yaml",
);

const text = fc.constantFrom("x", "hello world", "1.10", "012345", "true", "a: b", "");
/** Usually one of `usual`, sometimes one of `edge`: mistakes and collisions come up, yet most specs validate. */
const mostly = <T>(usual: readonly T[], edge: readonly T[], weight = 20) =>
  // Without noBias, fast-check leans towards the last choices and small runs, and edges would rule.
  fc.noBias(
    fc.oneof(
      { arbitrary: fc.constantFrom(...usual), weight },
      { arbitrary: fc.constantFrom(...edge), weight: 1 },
    ),
  );
/** Edges of the many fields drawn together: rarer, so that about 30 % of the specs still validate. */
const RARE = 60;
/** A record whose keys are each present or not. */
const partial = <T extends Record<string, fc.Arbitrary<unknown>>>(shape: T) =>
  fc.record(shape, { requiredKeys: [] });

const probe = fc.oneof(
  fc.record({
    http: fc.record(
      {
        path: fc.constantFrom("/", "/ready", "/healthz"),
        port: fc.constantFrom("http", 8080),
        headers: mostly([{ "X-Probe": "1" }], [{ "bad header": "x" }]),
      },
      { requiredKeys: ["path"] },
    ),
  }),
  fc.record({ tcp: partial({ port: fc.constantFrom("http", 8080) }) }),
  fc.record({ exec: fc.record({ command: fc.constant(["true"]) }) }),
);

const FIELDS = {
  ports: fc
    .tuple(
      partial({
        protocol: mostly(["TCP"], ["UDP"]),
        servicePort: mostly([80], [9090]),
        appProtocol: fc.constantFrom("http", "kubernetes.io/h2c", "kubernetes.io/ws"),
      }),
      // Distinct names: a repeated name is refused, and a refused spec tests nothing on the API
      // server; the edge `http` (the first port's name) still repeats now and then.
      fc.uniqueArray(
        partial({
          name: mostly(["grpc", "metrics", "web-ui", "dns"], ["http"]),
          port: mostly([9090, 53, 7000], [8080]),
          protocol: mostly(["TCP"], ["UDP"]),
          expose: fc.boolean(),
        }).map((p) => ({ name: "metrics", port: 9090, ...p })),
        { maxLength: 2, selector: (p) => p.name },
      ),
    )
    .map(([first, rest]) => [{ name: "http", port: 8080, ...first }, ...rest]),
  command: fc.constantFrom(["/app"], ["sh", "-c", "exec /app"]),
  args: fc.array(text, { maxLength: 3 }),
  env: fc.dictionary(
    fc.constantFrom("A", "DB_HOST", "my.dotted", "dash-ed", "_x", "X1"),
    fc.oneof(
      text,
      fc.integer(),
      fc.constant({ secret: "external-db", key: "password" }),
      fc.constant({ configMap: "shared", key: "k", optional: true }),
      fc.constant({ field: "status.podIP" }),
      mostly(
        [
          { resource: "limits.memory", divisor: "1Mi" },
          { resource: "requests.cpu", divisor: "1m" },
        ],
        [
          { resource: "limits.memory", divisor: "2Mi" },
          { resource: "limits.cpu", divisor: "1Ki" },
        ],
        RARE,
      ),
      mostly(
        [{ field: "metadata.labels['app.kubernetes.io/name']" }],
        [{ field: "metadata.annotations['bad key']" }],
        RARE,
      ),
    ),
    { maxKeys: 4 },
  ),
  configFiles: fc.uniqueArray(
    fc.record({
      path: mostly(["/etc/app/a.yaml", "/etc/app/b.json", "/config/d"], ["/tmp/x.conf", "/etc/secrets/c"]),
      content: text,
    }),
    { maxLength: 2, selector: (f) => f.path },
  ),
  secrets: fc.uniqueArray(
    partial({
      name: fc.constantFrom("app", "db", "api-keys"),
      env: fc.boolean(),
      mountPath: mostly(["/etc/secrets", "/var/run/app", "/etc/creds", "/srv/secrets"], ["/tmp", "/etc/app"]),
    }).map((s) => ({ name: "app", ...s, file: "secrets/app.enc.yaml" })),
    { maxLength: 2, selector: (s) => s.name },
  ),
  resources: partial({
    requests: partial({ cpu: fc.constantFrom("50m", "100m"), memory: mostly(["64Mi", "128Mi"], ["4Gi"]) }),
    limits: partial({ cpu: fc.constantFrom("100m", "2"), memory: fc.constantFrom("128Mi", "2Gi") }),
  }),
  replicas: fc.integer({ min: 0, max: 5 }),
  autoscaling: fc
    .record({
      minReplicas: fc.integer({ min: 1, max: 3 }),
      more: mostly([0, 2, 7], [-1]),
      cpu: fc.integer({ min: 10, max: 90 }),
    })
    .map(({ more, ...a }) => ({ ...a, maxReplicas: a.minReplicas + more })),
  rollout: fc.oneof(
    partial({
      maxSurge: mostly([1, "25%"], [0]),
      maxUnavailable: mostly([0, 1, "10%"], ["0%"]),
      minReadySeconds: fc.integer({ min: 0, max: 30 }),
    }),
    fc.constant({ strategy: "Recreate" }),
  ),
  health: partial({ readiness: probe, liveness: probe, startup: probe }),
  shutdown: partial({
    preStopDelaySeconds: fc.integer({ min: 0, max: 20 }),
    terminationGracePeriodSeconds: mostly([30, 60], [0, 5]),
  }),
  routes: fc.array(
    partial({
      paths: fc.uniqueArray(mostly(["/", "/api", "/static/"], ["/api/*"]), { minLength: 1, maxLength: 2 }),
      port: mostly(["http"], ["dns"]),
      tls: fc.boolean(),
      protocol: mostly(["http"], ["grpc"]),
      annotations: fc.dictionary(
        mostly(["nginx.ingress.kubernetes.io/proxy-body-size", "example.com/x"], ["bad key", "a/b/c"]),
        text,
        { maxKeys: 2 },
      ),
    }),
    { maxLength: 2 },
  ),
  processes: fc.dictionary(
    mostly(["worker", "streaming"], ["db"]),
    partial({
      kind: mostly(["deployment"], ["stateful"]),
      command: fc.constantFrom(["/app/worker"], ["sh", "-c", "exec /app"]),
      replicas: fc.integer({ min: 0, max: 3 }),
      ports: fc.constant([{ name: "ws", port: 9100 }]),
      health: partial({ readiness: fc.constant({ tcp: { port: "ws" } }) }),
      env: fc.dictionary(fc.constantFrom("QUEUE", "my.dotted"), text, { maxKeys: 2 }),
    }).map((p) =>
      p.kind === "stateful"
        ? {
            ...p,
            volumeClaims: [
              {
                name: (p.command as string[] | undefined)?.[0] === "sh" ? "cache" : "data",
                mountPath: p.replicas === 3 ? "/tmp" : "/var/lib/data",
                size: "1Gi",
              },
            ],
          }
        : p,
    ),
    { maxKeys: 2 },
  ),
  cronJobs: fc.dictionary(
    fc.constantFrom("nightly", "cleanup"),
    partial({
      timeZone: mostly(["Europe/Berlin", "UTC"], ["Mars/Olympus"]),
      concurrencyPolicy: fc.constantFrom("Allow", "Forbid", "Replace"),
      startingDeadlineSeconds: fc.integer({ min: 10, max: 600 }),
      history: partial({
        successful: fc.integer({ min: 0, max: 5 }),
        failed: fc.integer({ min: 0, max: 5 }),
      }),
      timeoutSeconds: fc.integer({ min: 1, max: 3600 }),
      retries: fc.integer({ min: 0, max: 3 }),
      schedule: mostly(
        ["30 2 * * *", "*/15 * * * *", "@daily", "0 9 * * mon-fri", "5/20 1-5 ? jan-jun *"],
        ["61 * * * *", "0 0 * * 7", "0 0 31 2 sun-sat", "* * * * x"],
        RARE,
      ),
    }).map((c) => ({ schedule: "30 2 * * *", command: ["/app/report"], ...c })),
    { maxKeys: 2 },
  ),
  jobs: fc.dictionary(
    fc.constantFrom("migrate", "notify"),
    partial({
      timeoutSeconds: fc.integer({ min: 1, max: 900 }),
      retries: fc.integer({ min: 0, max: 3 }),
    }).chain((j) =>
      fc.constantFrom("pre-deploy", "post-deploy").map((when) => ({ when, command: ["/app/job"], ...j })),
    ),
    { maxKeys: 2 },
  ),
  volumes: fc.uniqueArray(
    fc.oneof(
      fc.record({
        name: fc.constantFrom("cache", "scratch"),
        mountPath: mostly(["/var/cache/app", "/srv/scratch"], ["/tmp", "/etc/secrets", "/etc/app/a.yaml"]),
        emptyDir: partial({ medium: fc.constant("Memory"), sizeLimit: fc.constantFrom("64Mi", "1Gi") }),
      }),
      fc.record({
        name: fc.constantFrom("data", "state-dir"),
        mountPath: mostly(["/var/lib/app"], ["/var/cache/app"]),
        persistent: partial({
          accessMode: fc.constantFrom("ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany"),
          storageClass: fc.constantFrom("standard", "fast.ssd"),
          keep: fc.boolean(),
        }).map((p) => ({ size: "1Gi", ...p })),
      }),
      fc.record({
        name: fc.constantFrom("certs"),
        mountPath: mostly(["/etc/certs"], ["/etc/certs/inner", "/var/lib/app/certs"]),
        readOnly: fc.boolean(),
        projected: mostly<Record<string, unknown>[]>(
          [
            [{ secret: "tls-from-operator", items: [{ key: "tls.crt", path: "tls.crt", mode: 0o400 }] }],
            [{ configMap: "ca-bundle" }, { secret: "other", optional: true }],
          ],
          [
            [
              { secret: "tls-from-operator", items: [{ key: "tls.crt", path: "cert.pem" }] },
              { configMap: "ca-bundle", items: [{ key: "ca.crt", path: "cert.pem" }] },
            ],
          ],
          RARE,
        ),
      }),
    ),
    { maxLength: 3, selector: (v) => v.name },
  ),
  initContainers: fc.array(
    partial({
      image: fc.constant("registry.example.com/tools/migrate:1.0"),
      command: fc.constant(["/app", "prepare"]),
      appEnv: fc.boolean(),
      volumes: mostly([[]], [["cache"], ["missing"]]),
      resources: mostly(
        [{ requests: { cpu: "50m" }, limits: { cpu: "100m", memory: "64Mi" } }],
        [{ requests: { cpu: "200m" }, limits: { cpu: "100m" } }],
        RARE,
      ),
    }).map((c) => ({ name: "prepare", ...c })),
    { maxLength: 1 },
  ),
  sidecars: fc.array(
    fc
      .tuple(
        mostly(["proxy"], ["prop", "prepare"]),
        partial({
          image: fc.constant("registry.example.com/tools/proxy:2.1"),
          args: fc.constant(["--listen=:9901"]),
          ports: mostly(
            [[{ name: "proxy", port: 9901 }]],
            [
              [{ name: "proxy", port: 8080 }],
              [
                { name: "proxy", port: 9901 },
                { name: "proxy", port: 9902 },
              ],
            ],
            RARE,
          ),
          resources: fc.constant({ requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "32Mi" } }),
          volumes: mostly([[]], [["certs"], ["cache", "cache"]]),
        }),
      )
      .map(([name, c]) => ({ name, ...c })),
    { maxLength: 1 },
  ),
  envFrom: fc.array(
    fc.constantFrom({ secret: "external-creds", prefix: "EXT_" }, { configMap: "shared", optional: true }),
    { maxLength: 2 },
  ),
  imagePullSecrets: fc.array(fc.constantFrom("regcred", "ghcr.pull"), { maxLength: 2 }),
  placement: partial({
    nodeSelector: mostly<Record<string, string>>(
      [{ "kubernetes.io/os": "linux" }],
      [{ "bad key": "x" }, { disk: "not ok" }],
      RARE,
    ),
    tolerations: mostly<Record<string, unknown>[]>(
      [
        [{ key: "dedicated", operator: "Equal", value: "app", effect: "NoSchedule" }],
        [{ operator: "Exists" }],
        [
          {
            key: "node.kubernetes.io/unreachable",
            operator: "Exists",
            effect: "NoExecute",
            tolerationSeconds: 30,
          },
        ],
      ],
      [
        [{ key: "dedicated", operator: "Exists", value: "app" }],
        [{ value: "x" }],
        [{ key: "gpu", operator: "Exists", effect: "NoSchedule", tolerationSeconds: 5 }],
      ],
      RARE,
    ),
    affinity: mostly<Record<string, unknown>>(
      [
        {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 50,
                podAffinityTerm: {
                  topologyKey: "kubernetes.io/hostname",
                  labelSelector: { matchLabels: { "app.kubernetes.io/name": "prop" } },
                },
              },
            ],
          },
        },
      ],
      [
        { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
        {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "zone", matchLabelKeys: ["x"] }],
          },
        },
      ],
      RARE,
    ),
    topologySpread: mostly(
      [[], [{ topologyKey: "topology.kubernetes.io/zone", maxSkew: 2 }]],
      [
        [
          { topologyKey: "zone", maxSkew: 2 },
          { topologyKey: "zone", maxSkew: 1 },
        ],
      ],
      RARE,
    ),
  }),
  rbac: partial({
    rules: fc.constant([{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "watch"] }]),
    clusterRoles: mostly([["view"], ["view", "system:aggregate-to-view"]], [["View"]]),
  }),
  metrics: partial({
    path: fc.constantFrom("/metrics", "/stats"),
    interval: fc.constantFrom("15s", "1m"),
  }).chain((m) => mostly(["http", 8080], ["metrics", "dns", 9999]).map((port) => ({ port, ...m }))),
  disruptionBudget: fc.oneof(
    partial({ enabled: fc.boolean(), maxUnavailable: fc.constantFrom(1, "50%") }),
    mostly([{ minAvailable: 1 }, { minAvailable: "50%" }], [{ minAvailable: "150%" }], RARE),
  ),
  securityContext: partial({
    runAsUser: fc.integer({ min: 1, max: 65534 }),
    fsGroup: fc.integer({ min: 1, max: 65534 }),
    readOnlyRootFilesystem: fc.boolean(),
  }),
  labels: fc.dictionary(
    fc.constantFrom("tier", "example.com/owner", "a.b"),
    fc.constantFrom("web", "x-1", ""),
    {
      maxKeys: 2,
    },
  ),
  annotations: fc.dictionary(mostly(["example.com/owner", "note"], ["bad key", "a/b/c"]), text, {
    maxKeys: 2,
  }),
  manifests: fc.dictionary(
    fc.constantFrom("extra", "reader"),
    fc.constantFrom(
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "prop--extra" },
        data: { "nginx.conf": "worker_processes 1;" },
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: "prop--reader" },
        rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }],
      },
    ),
    { maxKeys: 2 },
  ),
  patches: fc.dictionary(
    fc.constantFrom("aliases", "dns", "note"),
    fc.constantFrom(
      {
        target: { kind: "Deployment" },
        strategicMerge: {
          spec: { template: { spec: { hostAliases: [{ ip: "10.0.0.1", hostnames: ["db"] }] } } },
        },
      },
      {
        target: { kind: "Deployment", name: "prop" },
        jsonPatch: [{ op: "add", path: "/spec/template/spec/dnsPolicy", value: "Default" }],
      },
      {
        target: { kind: "Service" },
        strategicMerge: { metadata: { annotations: { "example.com/note": "x" } } },
      },
    ),
    { maxKeys: 2 },
  ),
};

const spec = partial(FIELDS).map(({ metrics, ...fields }) => ({
  apiVersion: "slipway.dev/v1",
  kind: "App",
  name: "prop",
  team: "t",
  image: { repository: "registry.example.com/prop", tag: "1.0.0" },
  ...fields,
  // Metrics name a port: without ports they are always refused, which would tell nothing new.
  ...(metrics !== undefined && fields.ports !== undefined ? { metrics } : {}),
}));

/** The objects Slipway renders for `body`, or undefined when it refuses the spec. */
function validated(body: Record<string, unknown>) {
  try {
    const app = parseAppSpec(stringify(body), "slipway.yaml", platform);
    return render({ app, platform, target: "develop" }).objects;
  } catch (error) {
    if (isSlipwayError(error)) {
      if (process.env.SLIPWAY_DEBUG_GEN)
        console.error(error.problems.map((p) => `${p.path}: ${p.message}`).join("\n") || error.message);
      return undefined;
    }
    throw error;
  }
}

test("every generated spec that validates renders objects the API server accepts (server-side dry run)", (t) => {
  const kubeconfig = testKubeconfig();
  const kubectl = (args: string[]) =>
    execFileSync(peerPath("kubectl"), ["--kubeconfig", kubeconfig, ...args], {
      encoding: "utf8",
      stdio: "pipe",
    });
  try {
    kubectl(["create", "namespace", NAMESPACE]);
  } catch (error) {
    if (!String((error as { stderr?: string }).stderr).includes("AlreadyExists")) throw error;
  }
  const dir = mkdtempSync(join(tmpdir(), "slipway-dry-run-"));
  let accepted = 0;
  let runs = 0;
  fc.assert(
    fc.property(spec, (body) => {
      runs++;
      const objects = validated(body);
      if (objects === undefined) return;
      accepted++;
      const file = join(dir, "objects.yaml");
      writeFileSync(file, objectsToYaml(objects));
      try {
        kubectl(["create", "--dry-run=server", "-f", file, "-o", "name"]);
      } catch (error) {
        const stderr = String((error as { stderr?: string }).stderr ?? error);
        assert.fail(`Slipway accepted this spec, the API server refused it:\n${stringify(body)}\n${stderr}`);
      }
    }),
    { numRuns: Number(process.env.SLIPWAY_PROPERTY_RUNS ?? 80) },
  );
  t.diagnostic(`${accepted} of ${runs} generated specs validated and were dry-run`);
  // About 30 % validate; an eighth is the floor, so that chance alone (80 runs) fails about once
  // in 3,000 runs while a generator that stopped producing valid specs still fails at once.
  assert.ok(
    accepted >= runs / 8,
    `only ${accepted} of ${runs} generated specs validated: the generator tests little`,
  );
});
