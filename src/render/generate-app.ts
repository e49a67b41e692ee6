/**
 * Generated apps for property tests and the render benchmark: realistic variety (ports, probes,
 * autoscaling, routes, secrets, overrides) from a seed, deterministic for a given index.
 */
import { stringify } from "yaml";

export function generatedAppYaml(index: number): string {
  const r = mulberry32(index + 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
  const name = `svc-${index}-${pick(["cart", "orders", "search", "billing", "auth", "media", "notify"])}${"x".repeat(Math.floor(r() * 30))}`;
  const hasPorts = r() < 0.85;
  const replicas = 1 + Math.floor(r() * 4);
  const spec: Record<string, unknown> = {
    apiVersion: "slipway.dev/v1",
    kind: "App",
    name: name.slice(0, 40).replace(/-+$/, ""),
    team: pick(["commerce", "platform", "finance", "growth"]),
    image: {
      repository: `registry.example.com/generated/app-${index}`,
      tag: `1.${index % 50}.${Math.floor(r() * 9)}`,
    },
    env: Object.fromEntries(
      Array.from({ length: 1 + Math.floor(r() * 8) }, (_, i) => [`VAR_${i}`, `value-${i}-${index}`]),
    ),
    resources: {
      requests: { cpu: pick(["50m", "100m", "250m", "1"]), memory: pick(["64Mi", "128Mi", "512Mi"]) },
      limits: { memory: "1Gi" },
    },
    replicas,
  };
  if (hasPorts) {
    spec.ports = [
      { name: "http", port: 8000 + (index % 1000) },
      ...(r() < 0.3 ? [{ name: "metrics", port: 9090 }] : []),
    ];
    spec.health = {
      readiness: { http: { path: "/ready", port: "http" } },
      liveness: r() < 0.5 ? { tcp: { port: "http" } } : { http: { path: "/healthz" } },
    };
    if (r() < 0.6) spec.routes = [{ paths: ["/"], port: "http", tls: r() < 0.5 }];
  }
  if (r() < 0.5) {
    spec.autoscaling = {
      minReplicas: 2,
      maxReplicas: 4 + Math.floor(r() * 20),
      cpu: 70,
      ...(r() < 0.4
        ? {
            external: [
              { metric: "requests.per.pod", selector: { app: `app-${index}` }, averageValue: "100" },
            ],
          }
        : {}),
    };
  }
  if (r() < 0.5) spec.configFiles = [{ path: "/etc/app/config.json", content: `{"index": ${index}}\n` }];
  if (r() < 0.5) spec.secrets = [{ name: "app", file: "secrets/app.enc.yaml" }];
  if (r() < 0.4) spec.warmup = { command: ["sh", "-c", "curl -s localhost/warm"] };
  spec.environments = {
    stable: { replicas: replicas + 1, resources: { limits: { memory: "2Gi" } } },
    preview: { replicas: 1, autoscaling: null },
  };
  podLevel(spec, index, r);
  workloadParts(spec, index, r);
  return stringify(spec);
}

/** Processes, CronJobs and deploy-time Jobs (drawn last, so the fields above stay as they were). */
function workloadParts(spec: Record<string, unknown>, index: number, r: () => number): void {
  const processes: Record<string, unknown> = {};
  if (r() < 0.35) {
    processes.worker = {
      command: ["/app/worker", "--queue", `q-${index % 7}`],
      replicas: 1 + Math.floor(r() * 3),
      env: { WORKER_CONCURRENCY: String(1 + (index % 8)) },
    };
  }
  if (spec.ports !== undefined && r() < 0.25) {
    processes.streaming = {
      command: ["/app/stream"],
      ports: [{ name: "ws", port: 9100 }],
      health: { readiness: { tcp: { port: "ws" } } },
    };
    const routes = spec.routes as Record<string, unknown>[] | undefined;
    if (routes) routes.push({ paths: ["/stream"], process: "streaming", port: "ws" });
  }
  if (r() < 0.1) {
    processes.state = {
      kind: "stateful",
      command: ["/app/state"],
      volumeClaims: [{ name: "state", mountPath: "/var/lib/state", size: "1Gi" }],
    };
  }
  if (Object.keys(processes).length > 0) spec.processes = processes;
  if (r() < 0.3) {
    spec.cronJobs = {
      nightly: {
        schedule: `${index % 60} ${index % 24} * * *`,
        timeZone: "Europe/Berlin",
        command: ["/app/report"],
        history: { successful: 3, failed: 1 },
      },
    };
  }
  const jobs: Record<string, unknown> = {};
  if (r() < 0.25) jobs.migrate = { when: "pre-deploy", command: ["/app/migrate"], timeoutSeconds: 300 };
  if (r() < 0.15) jobs.notify = { when: "post-deploy", command: ["/app/notify"] };
  if (Object.keys(jobs).length > 0) spec.jobs = jobs;
}

/** Pod-level shapes (drawn after the others, so the fields above stay as they were for a seed). */
function podLevel(spec: Record<string, unknown>, index: number, r: () => number): void {
  const digest = `@sha256:${(index % 16).toString(16).repeat(64)}`;
  if (r() < 0.3) {
    spec.volumes = [
      {
        name: "cache",
        mountPath: "/var/cache/app",
        emptyDir: r() < 0.5 ? { medium: "Memory", sizeLimit: "64Mi" } : {},
      },
      ...(r() < 0.4 ? [{ name: "data", mountPath: "/var/lib/app", persistent: { size: "1Gi" } }] : []),
    ];
  }
  if (r() < 0.25) spec.initContainers = [{ name: "prepare", command: ["/app/prepare"] }];
  if (r() < 0.25) {
    spec.sidecars = [
      {
        name: "proxy",
        image: `registry.example.com/generated/proxy:1.0${digest}`,
        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
      },
    ];
  }
  if (r() < 0.3) {
    spec.env = {
      ...(spec.env as Record<string, unknown>),
      DB_PASSWORD: { secret: `app-${index}-db`, key: "password" },
      POD_IP: { field: "status.podIP" },
      "app.log-level": "info",
    };
  }
  const ports = (spec.ports as { name: string }[] | undefined) ?? [];
  if (ports.some((p) => p.name === "metrics") && r() < 0.6) spec.metrics = { port: "metrics" };
  if (r() < 0.2)
    spec.rbac = { rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }] };
  if (r() < 0.2)
    spec.placement = { tolerations: [{ key: "dedicated", operator: "Exists", effect: "NoSchedule" }] };
}

/** A tiny seeded PRNG so generated apps are the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A large `slipway.yaml` for the benchmark: `envKeys` env variables and, when `configBytes` > 0, a
 * config file of about that size (kept under the ConfigMap limit by the caller). Written by hand,
 * not by `stringify`, so that building the text costs little beside parsing it.
 */
export function largeAppYaml(envKeys: number, configBytes = 0): string {
  const parts = [
    "apiVersion: slipway.dev/v1\nkind: App\nname: large\nteam: platform\n",
    'image:\n  repository: registry.example.com/platform/large\n  tag: "1.0.0"\n',
    "ports:\n  - { name: http, port: 8080 }\nenv:\n",
  ];
  for (let i = 0; i < envKeys; i++) parts.push(`  VAR_${i}: value-${i}-${(i * 2654435761) % 1000003}\n`);
  if (configBytes > 0) {
    parts.push("configFiles:\n  - path: /etc/large/data.txt\n    content: |\n");
    const line = `      ${"x".repeat(75)}\n`;
    for (let size = 0; size < configBytes; size += line.length - 6) parts.push(line);
  }
  return parts.join("");
}
