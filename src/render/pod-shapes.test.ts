/**
 * The pod-level shapes of a real service: volumes, init containers and sidecars, env by reference,
 * RBAC, placement, metrics, Service ports apart from container ports, Recreate and a chosen PDB —
 * rendered, exported to Helm, passed by policy without waivers, and refused with a position where
 * the API server would refuse them.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { POD_SHAPES, POD_SHAPES_HEAD } from "../../test/fixtures/pod-shapes-app.ts";
import type { SlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import { builtinRules } from "../policy/catalog.ts";
import { evaluate } from "../policy/engine.ts";
import { parseAppSpec, parsePlatform } from "../spec/parse.ts";
import { helmChartFiles, IMAGE_PLACEHOLDER } from "./helm-chart.ts";
import { render } from "./render.ts";

const platformYaml = (extra = "", clusterExtra = "") => `apiVersion: slipway.dev/v1
kind: Platform
clusters:
  - name: c1
    gitops: { directory: gitops }
${clusterExtra}channels:
  - { name: develop, cluster: c1, domain: dev.example.com }
  - { name: stable, cluster: c1, domain: example.com, production: true }
${extra}`;

const HEAD = POD_SHAPES_HEAD;

function find(objects: readonly KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.ok(
    found,
    `no ${kind} ${name ?? ""} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`,
  );
  return found;
}

type Pod = {
  initContainers: Record<string, unknown>[];
  containers: Record<string, unknown>[];
  volumes: Record<string, unknown>[];
  [key: string]: unknown;
};
const podOf = (d: KubeObject) => (d.spec as { template: { spec: Pod } }).template.spec;

const monitored = parsePlatform(
  platformYaml(
    "monitoring: { namespace: observability, serviceMonitorLabels: { release: prom } }\n",
    "    capabilities: { serviceMonitor: true }\n",
  ),
  "platform.yaml",
);

test("every pod-level field reaches the rendered objects", () => {
  const app = parseAppSpec(POD_SHAPES, "slipway.yaml", monitored);
  const { objects } = render({ app, platform: monitored, target: "stable" });
  const d = find(objects, "Deployment");
  const spec = d.spec as Record<string, unknown>;
  assert.deepEqual(spec.strategy, { type: "Recreate" });
  assert.equal(spec.minReadySeconds, 10);
  const pod = podOf(d);
  const main = pod.containers[0]!;
  assert.deepEqual(
    (main.env as { name: string }[]).map((e) => e.name),
    ["DB_PASSWORD", "FLAGS", "LOG-LEVEL", "MEMORY_MB", "POD_IP", "POD_NAME", "spring.profiles.active"],
  );
  const env = Object.fromEntries((main.env as { name: string }[]).map((e) => [e.name, e]));
  assert.deepEqual(env.DB_PASSWORD, {
    name: "DB_PASSWORD",
    valueFrom: { secretKeyRef: { name: "pg-cluster-app", key: "password" } },
  });
  assert.deepEqual(env.FLAGS, {
    name: "FLAGS",
    valueFrom: { configMapKeyRef: { name: "feature-flags", key: "all", optional: true } },
  });
  assert.deepEqual(env.POD_IP, { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } });
  assert.deepEqual(env.MEMORY_MB, {
    name: "MEMORY_MB",
    valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } },
  });
  assert.deepEqual(main.envFrom, [
    { prefix: "EXT_", secretRef: { name: "external-creds" } },
    { configMapRef: { name: "shared-settings" } },
  ]);
  assert.deepEqual(
    (main.volumeMounts as { mountPath: string }[]).map((m) => m.mountPath),
    ["/tmp", "/var/cache/dash", "/var/lib/dash", "/srv/scratch", "/etc/dash/certs"],
  );
  assert.equal((main.securityContext as { readOnlyRootFilesystem: boolean }).readOnlyRootFilesystem, true);
  const volumes = Object.fromEntries(pod.volumes.map((v) => [v.name as string, v]));
  assert.deepEqual(volumes.cache, { name: "cache", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } });
  assert.deepEqual(volumes.data, { name: "data", persistentVolumeClaim: { claimName: "dash-data" } });
  assert.deepEqual(volumes["scratch-data"], {
    name: "scratch-data",
    persistentVolumeClaim: { claimName: "dash--scratch-data" },
  });
  assert.deepEqual((volumes.certs as { projected: { sources: unknown[] } }).projected.sources, [
    {
      secret: {
        name: "dash-tls",
        items: [
          { key: "tls.crt", path: "tls.crt" },
          { key: "tls.key", path: "tls.key", mode: 0o400 },
        ],
      },
    },
    { configMap: { name: "ca-bundle" } },
  ]);

  const [migrate, reloader] = pod.initContainers;
  assert.equal(
    migrate!.image,
    "reg.example.com/core/dash:2.0",
    "an init container runs the app's image by default",
  );
  assert.ok(migrate!.env && migrate!.envFrom, "with the app's image comes the app's environment");
  assert.equal(migrate!.restartPolicy, undefined);
  assert.deepEqual(migrate!.resources, main.resources, "and the app's resources");
  assert.deepEqual(
    (migrate!.volumeMounts as { mountPath: string }[]).map((m) => m.mountPath),
    ["/tmp", "/var/lib/dash"],
  );
  assert.equal(reloader!.restartPolicy, "Always", "a sidecar is a native sidecar");
  assert.equal(
    reloader!.image,
    "ghcr.io/example/config-reloader:1.4@sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
  );
  assert.equal(reloader!.env, undefined, "another image gets none of the app's env or secrets");
  assert.equal(reloader!.envFrom, undefined);
  assert.deepEqual(reloader!.ports, [{ name: "reload", containerPort: 9533, protocol: "TCP" }]);

  assert.deepEqual(pod.imagePullSecrets, [{ name: "regcred" }]);
  assert.deepEqual(pod.nodeSelector, { pool: "general" });
  assert.equal((pod.tolerations as unknown[]).length, 1);
  assert.ok((pod.affinity as Record<string, unknown>).nodeAffinity);
  assert.deepEqual(pod.topologySpreadConstraints, [
    {
      maxSkew: 1,
      topologyKey: "topology.kubernetes.io/zone",
      whenUnsatisfiable: "DoNotSchedule",
      labelSelector: {
        matchLabels: { "app.kubernetes.io/name": "dash", "app.kubernetes.io/instance": "dash-stable" },
      },
    },
  ]);
  const annotations = (d.spec as { template: { metadata: { annotations: Record<string, string> } } }).template
    .metadata.annotations;
  assert.equal(annotations["prometheus.io/port"], "9102");
  assert.equal(annotations["prometheus.io/path"], "/stats");

  const svc = find(objects, "Service");
  assert.deepEqual((svc.spec as { ports: unknown[] }).ports, [
    { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
    { name: "grpc", port: 9090, targetPort: "grpc", protocol: "TCP", appProtocol: "kubernetes.io/h2c" },
    { name: "metrics", port: 9102, targetPort: "metrics", protocol: "TCP" },
  ]);

  const kept = find(objects, "PersistentVolumeClaim", "dash-data");
  assert.equal(kept.metadata.annotations?.["slipway.dev/keep"], "true");
  assert.equal(kept.metadata.annotations?.["helm.sh/resource-policy"], "keep");
  assert.deepEqual(kept.spec, {
    accessModes: ["ReadWriteOnce"],
    resources: { requests: { storage: "5Gi" } },
    storageClassName: "fast",
  });
  const disposable = find(objects, "PersistentVolumeClaim", "dash--scratch-data");
  assert.equal(disposable.metadata.annotations, undefined, "keep: false gives its consent to prune");

  const role = find(objects, "Role", "dash");
  assert.deepEqual(role.rules, [
    { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] },
  ]);
  assert.deepEqual(find(objects, "RoleBinding", "dash").roleRef, {
    apiGroup: "rbac.authorization.k8s.io",
    kind: "Role",
    name: "dash",
  });
  assert.deepEqual(find(objects, "RoleBinding", "dash--view").roleRef, {
    apiGroup: "rbac.authorization.k8s.io",
    kind: "ClusterRole",
    name: "view",
  });
  assert.equal(
    objects.some((o) => o.kind === "ClusterRole"),
    false,
  );

  assert.deepEqual(find(objects, "PodDisruptionBudget").spec, {
    minAvailable: 2,
    selector: {
      matchLabels: { "app.kubernetes.io/name": "dash", "app.kubernetes.io/instance": "dash-stable" },
    },
  });
  const np = find(objects, "NetworkPolicy").spec as { ingress: { from: unknown[]; ports: unknown[] }[] };
  assert.deepEqual(np.ingress.at(-1), {
    from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } } }],
    ports: [{ port: "metrics", protocol: "TCP" }],
  });
  const sm = find(objects, "ServiceMonitor");
  assert.equal(sm.metadata.labels?.release, "prom");
  assert.deepEqual(sm.spec, {
    selector: {
      matchLabels: { "app.kubernetes.io/name": "dash", "app.kubernetes.io/instance": "dash-stable" },
    },
    endpoints: [{ port: "metrics", path: "/stats", interval: "15s" }],
  });
  assert.deepEqual(find(objects, "Ingress").metadata.annotations, {
    "nginx.ingress.kubernetes.io/proxy-body-size": "16m",
  });
});

test("without the CRD there is no ServiceMonitor, and scrapes come from namespaces labelled for monitoring", () => {
  const platform = parsePlatform(platformYaml(), "platform.yaml");
  const app = parseAppSpec(POD_SHAPES, "slipway.yaml", platform);
  const { objects } = render({ app, platform, target: "develop" });
  assert.equal(
    objects.some((o) => o.kind === "ServiceMonitor"),
    false,
  );
  const np = find(objects, "NetworkPolicy").spec as { ingress: { from: unknown[] }[] };
  assert.deepEqual(np.ingress.at(-1)!.from, [
    { namespaceSelector: { matchLabels: { "slipway.dev/monitoring": "true" } } },
  ]);
});

test("policy passes a sidecar, an init container, a Memory emptyDir, a claim and RBAC without waivers", () => {
  const app = parseAppSpec(POD_SHAPES, "slipway.yaml", monitored);
  const { objects } = render({
    app,
    platform: monitored,
    target: "stable",
    image: `reg.example.com/core/dash@sha256:${"a".repeat(64)}`,
  });
  const findings = evaluate(objects, builtinRules, { context: { channel: "stable", production: true } });
  assert.deepEqual(
    findings.filter((f) => f.severity === "error"),
    [],
    "no error finding blocks the app",
  );
  const aboutExtras = findings.filter((f) =>
    /initContainers|volumes|Role|PersistentVolumeClaim/.test(`${f.path} ${f.object}`),
  );
  assert.deepEqual(aboutExtras, []);
});

test("the Helm chart runs init containers on the chosen image and keeps a sidecar's own", () => {
  const platform = parsePlatform(platformYaml(), "platform.yaml");
  const app = parseAppSpec(POD_SHAPES, "slipway.yaml", platform);
  const values = helmChartFiles({
    app,
    platform,
    image: `reg.example.com/core/dash@sha256:${"b".repeat(64)}`,
  })["values.yaml"]!;
  assert.match(
    values,
    new RegExp(
      `name: migrate[\\s\\S]*?image: ${IMAGE_PLACEHOLDER}|image: ${IMAGE_PLACEHOLDER}[\\s\\S]*?name: migrate`,
    ),
  );
  assert.match(values, /image: ghcr\.io\/example\/config-reloader:1\.4@sha256:c{64}/);
  assert.equal(values.split(`sha256:${"b".repeat(64)}`).length, 2, "the digest lives only in .Values.image");
});

test("a volume at /tmp replaces the built-in scratch space instead of clashing with it", () => {
  const platform = parsePlatform(platformYaml(), "platform.yaml");
  const app = parseAppSpec(
    `${HEAD}volumes: [{ name: scratch, mountPath: /tmp, emptyDir: { medium: Memory } }]\n`,
    "slipway.yaml",
    platform,
  );
  const pod = podOf(find(render({ app, platform, target: "develop" }).objects, "Deployment"));
  assert.deepEqual(pod.volumes, [{ name: "scratch", emptyDir: { medium: "Memory" } }]);
  assert.deepEqual(pod.containers[0]!.volumeMounts, [{ name: "scratch", mountPath: "/tmp" }]);
});

/** The located problems of rendering `body` for develop on `platform`, or of parsing it. */
function problemsOf(body: string, platform = parsePlatform(platformYaml(), "platform.yaml")) {
  try {
    const app = parseAppSpec(HEAD + body, "slipway.yaml", platform);
    render({ app, platform, target: "develop" });
  } catch (error) {
    return (error as SlipwayError).problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`);
  }
  return [];
}

test("mounts the API server or the kubelet would refuse are refused at the field that adds them", () => {
  const cases: [string, RegExp][] = [
    [
      "secrets: [{ name: s, file: s.enc.yaml, mountPath: /tmp }]\n",
      /^7:\d+ secrets\[0\]\.mountPath: `\/tmp` is already mounted by the built-in \/tmp scratch volume; \/tmp is the pod's scratch emptyDir/,
    ],
    [
      "secrets:\n  - { name: a, file: a.enc.yaml, mountPath: /run/s }\n  - { name: b, file: b.enc.yaml, mountPath: /run/s/ }\n",
      /^9:\d+ secrets\[1\]\.mountPath: `\/run\/s` is already mounted by secrets\[0\]\.mountPath/,
    ],
    [
      "configFiles:\n  - { path: /etc/a.conf, content: a }\n  - { path: /etc/a.conf, content: b }\n",
      /^9:\d+ configFiles\[1\]\.path: `\/etc\/a\.conf` is already mounted by configFiles\[0\]\.path/,
    ],
    [
      "configFiles: [{ path: /run/s, content: a }]\nsecrets: [{ name: s, file: s.enc.yaml, mountPath: /run/s }]\n",
      /^8:\d+ secrets\[0\]\.mountPath: `\/run\/s` is already mounted by configFiles\[0\]\.path/,
    ],
    [
      "configFiles: [{ path: /run/s/extra.conf, content: a }]\nsecrets: [{ name: s, file: s.enc.yaml, mountPath: /run/s }]\n",
      /lies inside the read-only mount `\/run\/s`/,
    ],
    ["configFiles: [{ path: /etc/app/, content: a }]\n", /^7:\d+ configFiles\[0\]\.path: must name a file/],
    [
      "ports: [{ name: http, port: 80 }, { name: http, port: 81 }]\n",
      /^7:\d+ ports\[1\]\.name: port name `http` is already used by ports\[0\]/,
    ],
    [
      "ports: [{ name: a, port: 80 }, { name: b, port: 80 }]\n",
      /^7:\d+ ports\[1\]\.port: 80\/TCP is already the container port/,
    ],
    [
      "ports: [{ name: a, port: 80 }, { name: b, port: 81, servicePort: 80 }]\n",
      /ports\[1\]\.servicePort: 80\/TCP is already a Service port/,
    ],
    [
      "volumes: [{ name: a, mountPath: /x, emptyDir: {} }]\nsidecars: [{ name: s, image: busybox:1, volumes: [b] }]\n",
      /sidecars\[0\]\.volumes\[0\]: names volume `b`/,
    ],
    [
      "initContainers: [{ name: dash }]\n",
      /initContainers\[0\]\.name: container name `dash` is already taken/,
    ],
    [
      'rbac: { clusterRules: [{ apiGroups: [""], resources: [nodes], verbs: [get] }] }\n',
      /rbac\.clusterRules: cluster-wide permissions need a grant in the platform file/,
    ],
    [
      "env: { X: { valueFrom: { secretKeyRef: { name: a, key: b } } } }\n",
      /Slipway's form of Kubernetes' valueFrom/,
    ],
    [
      "rollout: { strategy: Recreate, maxUnavailable: 1 }\n",
      /rollout\.strategy: Recreate has no maxSurge or maxUnavailable/,
    ],
  ];
  for (const [body, expected] of cases) {
    const problems = problemsOf(body);
    assert.ok(
      problems.some((p) => expected.test(p)),
      `${body}\n→ ${problems.join("\n  ") || "accepted"}`,
    );
  }
});

test("cluster-wide RBAC where the platform grants it; native sidecars refused on a cluster older than 1.29", () => {
  const granted = parsePlatform(
    platformYaml("rbac: { clusterRules: [{ team: core, apps: [dash] }] }\n"),
    "platform.yaml",
  );
  const app = parseAppSpec(
    `${HEAD}rbac: { clusterRules: [{ apiGroups: [""], resources: [nodes], verbs: [get] }] }\n`,
    "slipway.yaml",
    granted,
  );
  const objects = render({ app, platform: granted, target: "develop" }).objects;
  const role = find(objects, "ClusterRole", "dash-develop--dash");
  assert.equal(role.metadata.namespace, undefined);
  assert.deepEqual(find(objects, "ClusterRoleBinding").subjects, [
    { kind: "ServiceAccount", name: "dash", namespace: "dash-develop" },
  ]);

  const old = parsePlatform(platformYaml("", '    kubernetesVersion: "1.28"\n'), "platform.yaml");
  const problems = problemsOf("sidecars: [{ name: proxy, image: envoyproxy/envoy:v1.30.1 }]\n", old);
  assert.ok(
    problems.some((p) => /sidecars: native sidecars need Kubernetes 1\.29 or later.*runs 1\.28/.test(p)),
    problems.join("\n"),
  );
  assert.deepEqual(
    problemsOf("sidecars: [{ name: proxy, image: envoyproxy/envoy:v1.30.1 }]\n"),
    [],
    "a cluster of unknown version is not refused",
  );
});

test("a gRPC route gets an object of its own: backend-protocol GRPC on an Ingress, a GRPCRoute with Gateway API", () => {
  const body = `ports: [{ name: http, port: 8080, servicePort: 80 }, { name: grpc, port: 9090, servicePort: 90 }]
routes:
  - { port: http, paths: [/] }
  - { port: grpc, protocol: grpc, host: api.dash.dev.example.com }
`;
  const ingress = parsePlatform(platformYaml(), "platform.yaml");
  const viaIngress = render({
    app: parseAppSpec(HEAD + body, "slipway.yaml", ingress),
    platform: ingress,
    target: "develop",
  });
  const plain = find(viaIngress.objects, "Ingress", "dash");
  assert.equal(plain.metadata.annotations, undefined);
  const grpc = find(viaIngress.objects, "Ingress", "dash--route-1");
  assert.deepEqual(grpc.metadata.annotations, { "nginx.ingress.kubernetes.io/backend-protocol": "GRPC" });

  const gateway = parsePlatform(
    platformYaml("routing: { kind: gateway, gateway: { name: public, namespace: gw } }\n"),
    "platform.yaml",
  );
  const viaGateway = render({
    app: parseAppSpec(HEAD + body, "slipway.yaml", gateway),
    platform: gateway,
    target: "develop",
  });
  const http = find(viaGateway.objects, "HTTPRoute", "dash").spec as { rules: { backendRefs: unknown[] }[] };
  assert.deepEqual(
    http.rules[0]!.backendRefs,
    [{ name: "dash", port: 80 }],
    "the Service's port, not the container's",
  );
  const route = find(viaGateway.objects, "GRPCRoute", "dash--route-1").spec as { rules: unknown[] };
  assert.deepEqual(route.rules, [{ backendRefs: [{ name: "dash", port: 90 }] }]);
  const withPaths = problemsOf(
    `ports: [{ name: grpc, port: 9090 }]\nroutes: [{ port: grpc, protocol: grpc, paths: [/svc] }]\n`,
    gateway,
  );
  assert.ok(
    withPaths.some((p) => /^8:\d+ routes\[0\]\.paths: a gRPC route matches gRPC services/.test(p)),
    withPaths.join("\n"),
  );
});

test("every workload of the app gets the pod-level fields and mounts the app's one claim", () => {
  const platform = parsePlatform(platformYaml(), "platform.yaml");
  const body = `volumes: [{ name: data, mountPath: /var/lib/dash, persistent: { size: 1Gi } }]
sidecars: [{ name: proxy, image: "envoyproxy/envoy:v1.30.1" }]
processes:
  worker: { command: [/app/dash, work] }
`;
  const objects = render({
    app: parseAppSpec(HEAD + body, "slipway.yaml", platform),
    platform,
    target: "develop",
  }).objects;
  const claims = objects.filter((o) => o.kind === "PersistentVolumeClaim").map((o) => o.metadata.name);
  assert.deepEqual(claims, ["dash-data"]);
  const deployments = objects.filter((o) => o.kind === "Deployment");
  assert.deepEqual(
    deployments.map((d) => d.metadata.name),
    ["dash", "dash--worker"],
  );
  for (const d of deployments) {
    const pod = podOf(d);
    assert.deepEqual(
      pod.volumes.find((v) => v.name === "data"),
      { name: "data", persistentVolumeClaim: { claimName: "dash-data" } },
      d.metadata.name,
    );
    assert.equal(pod.initContainers[0]!.name, "proxy", d.metadata.name);
  }
});
