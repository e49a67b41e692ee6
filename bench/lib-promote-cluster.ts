/**
 * The promote benchmark's workload: the test control plane (kwok `fast` pod stages), a git
 * repository of bench apps (each renders to 10 objects: two Deployments, Service, Ingress, HPA,
 * PDB, two NetworkPolicies, ServiceAccount, ConfigMap), platform files whose channels all live on
 * the test cluster, and an in-process `slipway serve` to drive over HTTP.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Executor } from "../src/engine/executor.ts";
import { type RunningServer, startServer } from "../src/server/main.ts";
import type { Deployment } from "../src/store/records.ts";
import { systemActor } from "../src/store/store.ts";
import { peerPath } from "../src/testing/peers.ts";
import { FIRST_CONTEXT, layout } from "../test/cluster/layout.ts";
import { up } from "../test/cluster/lifecycle.ts";

export const CHANNELS = ["develop", "integration", "staging", "beta", "stable"] as const;
export const IMAGE = "registry.example.com/bench/app";

export interface BenchCluster {
  readonly kubeconfig: string;
  /**
   * A team name of this run: its namespaces (`<team>-<channel>`) are new, never ones an earlier
   * run left terminating.
   */
  team(prefix: string): string;
  readonly work: string;
  readonly repo: string;
  /** Runs kubectl against the test cluster. */
  kubectl(args: string[], input?: string): string;
  /** A commit of the bench repository holding `apps` (directory = app name) of `team`. */
  commitApps(team: string, apps: readonly string[]): string;
  /** A platform file whose channels (and `extra` ones) live on the test cluster. */
  platformFile(
    name: string,
    options: { auto: boolean; channels?: readonly string[]; firstAuto?: boolean },
  ): string;
  /** Namespaces `<team>-<channel>`, made before any deploy as a platform team would. */
  namespaces(team: string, channels: readonly string[]): void;
  /**
   * Deletes the namespaces made so far (or these) and waits until they are gone: a namespace of
   * hundreds of Deployments takes a minute to delete, and the controllers' work meanwhile (on two
   * cores) would be measured as the next part's.
   */
  settle(only?: readonly string[]): Promise<void>;
  cleanup(): Promise<void>;
}

export function appSpec(name: string, team: string): string {
  return `apiVersion: slipway.dev/v1
kind: App
name: ${name}
team: ${team}
image:
  repository: ${IMAGE}
ports:
  - name: http
    port: 8080
env:
  LOG_LEVEL: info
configFiles:
  - path: /app/config/settings.json
    content: |
      {"cache": true}
resources:
  requests: { cpu: 10m, memory: 16Mi }
  limits: { memory: 64Mi }
autoscaling:
  minReplicas: 2
  maxReplicas: 4
  cpu: 75
health:
  readiness:
    http: { path: /ready, port: http }
routes:
  - paths: ["/"]
    port: http
networkPolicy:
  callers: [gateway]
processes:
  worker:
    command: ["/app/worker"]
    replicas: 1
`;
}

/** A digest per release number. */
export function digest(n: number): string {
  return `sha256:${n.toString(16).padStart(64, "0")}`;
}

export async function benchCluster(): Promise<BenchCluster> {
  const state = await up(layout(), {
    nodes: 3,
    pods: "fast",
    log: (s) => console.error(`[testcluster] ${s}`),
  });
  const kubeconfig = state.kubeconfig;
  const work = mkdtempSync(join(tmpdir(), "slipway-bench-promote-"));
  const repo = join(work, "repo");
  const teams = new Set<string>();
  const run = Date.now().toString(36).slice(-5);
  const made = new Set<string>();
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: repo,
      encoding: "utf8",
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "Bench",
        GIT_AUTHOR_EMAIL: "bench@example.com",
        GIT_COMMITTER_NAME: "Bench",
        GIT_COMMITTER_EMAIL: "bench@example.com",
      },
    }).trim();
  mkdirSync(repo);
  git("init", "-q", "-b", "main");
  const kubectl = (args: string[], input?: string) => {
    const res = spawnSync(peerPath("kubectl"), ["--kubeconfig", kubeconfig, ...args], {
      encoding: "utf8",
      input,
      maxBuffer: 1 << 28,
    });
    if (res.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${res.stderr}`);
    return res.stdout;
  };
  return {
    kubeconfig,
    team(prefix) {
      const name = `${prefix}-${run}`;
      teams.add(name);
      return name;
    },
    work,
    repo,
    kubectl,
    commitApps(team, apps) {
      teams.add(team);
      for (const app of apps) {
        mkdirSync(join(repo, app), { recursive: true });
        writeFileSync(join(repo, app, "slipway.yaml"), appSpec(app, team));
      }
      git("add", "-A");
      git(
        "-c",
        "commit.gpgsign=false",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        `${team}: ${apps.length} apps`,
      );
      return git("rev-parse", "HEAD");
    },
    platformFile(name, options) {
      const channels = options.channels ?? CHANNELS;
      const file = join(work, `${name}.platform.yaml`);
      const lines = [
        "apiVersion: slipway.dev/v1",
        "kind: Platform",
        "clusters:",
        `  - { name: test, kubeconfig: { path: ${kubeconfig}, context: ${FIRST_CONTEXT} } }`,
        "channels:",
        ...channels.map((c, i) => {
          const auto = options.auto && i > 0 ? ", promote: auto" : "";
          const first = i === 0 && options.firstAuto === false ? ", autoDeploy: false" : "";
          return `  - { name: ${c}, cluster: test, namespace: "{team}-${c}", domain: ${c}.bench.example.com${auto}${first} }`;
        }),
        "teams:",
        ...[...teams].map((t) => `  - { name: ${t} }`),
      ];
      writeFileSync(file, `${[...new Set(lines)].join("\n")}\n`);
      return file;
    },
    namespaces(team, channels) {
      const wanted = channels.map((c) => `${team}-${c}`).filter((n) => !made.has(n));
      if (wanted.length === 0) return;
      kubectl(
        ["apply", "-f", "-"],
        wanted.map((n) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${n}\n`).join("---\n"),
      );
      for (const n of wanted) made.add(n);
    },
    async settle(only) {
      const gone = only ?? [...made];
      if (gone.length === 0) return;
      const t = performance.now();
      kubectl(["delete", "namespace", "--wait=false", "--ignore-not-found", ...gone]);
      for (const n of gone) made.delete(n);
      const until = Date.now() + 600_000;
      for (;;) {
        const left = kubectl(["get", "namespace", "--ignore-not-found", "-o", "name", ...gone]).trim();
        if (left === "") break;
        if (Date.now() > until) throw new Error(`namespaces still terminating after 10 minutes: ${left}`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      console.error(
        `[bench] ${gone.length} namespaces deleted in ${((performance.now() - t) / 1000).toFixed(0)} s`,
      );
    },
    async cleanup() {
      // Leave the shared test cluster as we found it; deletion finishes in the background.
      if (made.size > 0) {
        spawnSync(
          peerPath("kubectl"),
          ["--kubeconfig", kubeconfig, "delete", "namespace", "--wait=false", "--ignore-not-found", ...made],
          { encoding: "utf8" },
        );
      }
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export interface Served {
  readonly server: RunningServer;
  readonly token: string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
}

/** `slipway serve` in this process on a fresh data directory (SQLite unless `databaseUrl`). */
export async function serveBench(
  cluster: BenchCluster,
  platformFile: string,
  options: { databaseUrl?: string; executor?: Executor } = {},
): Promise<Served> {
  const dataDir = mkdtempSync(join(cluster.work, "data-"));
  const server = await startServer({
    dataDir,
    databaseUrl: options.databaseUrl,
    listen: "127.0.0.1:0",
    demo: false,
    platformFile,
    allowLocalRepositories: true,
    env: { KUBECONFIG: cluster.kubeconfig },
    ...(options.executor === undefined ? {} : { executor: options.executor }),
    log: (line) => {
      if (!/^(state|platform|engine: took|promoter: )/.test(line)) console.error(`[serve] ${line}`);
    },
  });
  const token = server.adminToken;
  if (token === undefined) throw new Error("the first start printed no admin token");
  return {
    server,
    token,
    async call(method, path, body) {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, json: await response.json() };
    },
  };
}

/** Registers `team` and its `apps` through the server's own store. */
export async function register(served: Served, team: string, apps: readonly string[]): Promise<void> {
  const store = served.server.store;
  await store.createTeam(systemActor, team).catch(() => {});
  for (const app of apps) {
    await store.createApp(systemActor, { name: app, teamName: team, description: "bench" }).catch(() => {});
  }
}

/** Creates a release over the API (the server reads the commit); returns its id. */
export async function release(
  served: Served,
  cluster: BenchCluster,
  app: string,
  commit: string,
  n: number,
): Promise<string> {
  const made = await served.call("POST", `/api/v1/apps/${app}/releases`, {
    repository: cluster.repo,
    path: app,
    commit,
    image: `${IMAGE}@${digest(n)}`,
  });
  if (made.status >= 300) throw new Error(`release of ${app}: ${made.status} ${JSON.stringify(made.json)}`);
  return (made.json as { release: { id: string } }).release.id;
}

const final = new Set(["available", "failed", "superseded", "rolled-back"]);

/** The deployment of `release` to `channel`, once it has ended; throws unless available. */
export async function ended(
  served: Served,
  app: string,
  channel: string,
  releaseId: string,
  timeoutMs = 120_000,
): Promise<Deployment> {
  const end = Date.now() + timeoutMs;
  const store = served.server.store;
  for (;;) {
    const { items } = await store.listDeployments({ appName: app, targetName: channel }, { limit: 20 });
    const mine = items.find((d) => d.releaseId === releaseId);
    if (mine !== undefined && final.has(mine.status)) {
      if (mine.status !== "available") {
        const events = await store.deploymentEvents(mine.id);
        throw new Error(`${app} → ${channel}: ${mine.status}: ${events.at(-1)?.message}`);
      }
      return mine;
    }
    if (Date.now() > end) throw new Error(`${app} → ${channel}: not ended after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** When the deployment's objects were applied: its `progressing` event (epoch ms). */
export async function appliedAt(served: Served, deploymentId: string): Promise<number> {
  const events = await served.server.store.deploymentEvents(deploymentId);
  const progressing = events.find((e) => e.status === "progressing");
  if (progressing === undefined) {
    throw new Error(`${deploymentId} was never applied: ${JSON.stringify(events)}`);
  }
  return Date.parse(progressing.at);
}

/** The API server's 429 answers so far (all verbs), from its own metrics. */
export function apiServer429s(cluster: BenchCluster): number {
  const metrics = cluster.kubectl(["get", "--raw", "/metrics"]);
  let total = 0;
  for (const line of metrics.split("\n")) {
    if (line.startsWith("apiserver_request_total{") && line.includes('code="429"')) {
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return total;
}

export function p95(values: readonly number[]): number {
  return percentile(values, 0.95);
}

export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

/** Nearest rank. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
