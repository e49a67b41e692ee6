/**
 * The API while the engine works: a server (in this process, its engine and read cache as
 * `slipway serve` runs them) whose engine moves a steady stream of deployments through their
 * states, while a load generator in another process (wrk, else autocannon) reads list pages with
 * 100 connections. The executor is the server's own (`release-executor.ts`: the release's snapshot
 * read, parsed, rendered and gated by policy in this event loop), with a target that takes the
 * objects after a short wait instead of a cluster: what is measured is the store, the API and the
 * engine's own work, without the cluster's.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { DeployTarget } from "../src/delivery/deploy-target.ts";
import type { Executor } from "../src/engine/executor.ts";
import { releaseExecutor } from "../src/engine/release-executor.ts";
import { startServer } from "../src/server/main.ts";
import { systemActor } from "../src/store/store.ts";
import { appSpec } from "./lib-promote-cluster.ts";
import { postgresUrl } from "./lib-promote-runs.ts";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const APPS = 200;
const CHANNELS = ["develop", "integration", "staging", "beta", "stable"];
/** Deployments queued a second; each makes five status changes (pending … available). */
const QUEUED_PER_SECOND = 16;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Status changes written so far: queued, and each stage to the end. */
let changes = 0;

/** Takes the objects after what a server-side apply of 10 unchanged objects costs on the wire. */
const quickTarget: DeployTarget = {
  describe: () => "bench target",
  undo: "rollback",
  plan: async () => [],
  apply: async () => {
    await pause(15);
    return { changes: [], wrote: false };
  },
};

export interface ApiLoad {
  readonly generator: string;
  readonly path: string;
  readonly p50: number;
  readonly p99: number;
  readonly rps: number;
  readonly non2xx: number;
  readonly changesPerSecond: number;
}

export async function apiUnderLoad(database: "sqlite" | "postgres", duration: number): Promise<ApiLoad> {
  const dataDir = mkdtempSync(join(tmpdir(), "slipway-bench-api-mixed-"));
  const platformFile = join(dataDir, "platform.yaml");
  writeFileSync(
    platformFile,
    [
      "apiVersion: slipway.dev/v1",
      "kind: Platform",
      "clusters: [{ name: repo, gitops: { directory: ./gitops } }]",
      "channels:",
      ...CHANNELS.map(
        (c) => `  - { name: ${c}, cluster: repo, namespace: "{team}-${c}", domain: ${c}.bench.example.com }`,
      ),
      "teams: [{ name: api }]",
      "",
    ].join("\n"),
  );
  const dbName = `slipway_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  let databaseUrl: string | undefined;
  if (database === "postgres") {
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    const url = new URL(postgresUrl);
    url.pathname = `/${dbName}`;
    databaseUrl = url.toString();
  }
  let executor: Executor | undefined;
  const server = await startServer({
    dataDir,
    databaseUrl,
    listen: "127.0.0.1:0",
    demo: false,
    platformFile,
    executor: async (job, signal) => {
      const outcome = await executor!(
        { ...job, record: (stage, message) => job.record(stage, message).then(() => void changes++) },
        signal,
      );
      changes++;
      return outcome;
    },
    env: {},
    log: (line) => {
      if (!/^(state|platform)/.test(line)) console.error(`[serve] ${line}`);
    },
  });
  try {
    const token = server.adminToken!;
    const store = server.store;
    executor = releaseExecutor({
      store,
      platform: () => server.platform.current(),
      ports: {
        target: () => quickTarget,
        keys: () => {
          throw new Error("the bench apps have no secrets");
        },
      },
    });
    const spec = (app: string) => new TextEncoder().encode(appSpec(app, "api"));
    await store.createTeam(systemActor, "api");
    const releases: string[] = [];
    for (let a = 0; a < APPS; a++) {
      const app = `api-${String(a).padStart(3, "0")}`;
      await store.createApp(systemActor, { name: app, teamName: "api", description: `service ${a}` });
      for (let r = 0; r < 5; r++) {
        const made = await store.createRelease(systemActor, {
          appName: app,
          commitSha: (a * 10 + r + 0x1000000).toString(16),
          imageDigest: `sha256:${(a * 10 + r).toString(16).padStart(64, "0")}`,
          specHash: "a".repeat(64),
          secretsHash: "b".repeat(64),
          commitTime: null,
          files: [{ path: "slipway.yaml", content: spec(app) }],
        });
        releases.push(made.release.id);
      }
    }
    // The engine's steady work: a deployment queued every 1/QUEUED_PER_SECOND s, round the apps.
    // On a schedule, not one after another: a queueing that waits its turn behind the load must not
    // lower the rate of changes the load is measured under.
    let queued = 0;
    let stopped = false;
    const queueing = new Set<Promise<void>>();
    let queueFailure: unknown;
    const driver = (async () => {
      const start = performance.now();
      while (!stopped) {
        const release = releases[(queued * 7) % releases.length]!;
        const one = store
          .enqueueDeployment(systemActor, {
            releaseId: release,
            targetName: CHANNELS[queued % CHANNELS.length]!,
          })
          .then(
            () => void changes++,
            (error: unknown) => {
              queueFailure ??= error;
            },
          )
          .finally(() => queueing.delete(one));
        queueing.add(one);
        queued++;
        const due = start + (queued * 1000) / QUEUED_PER_SECOND;
        await pause(Math.max(0, due - performance.now()));
      }
      await Promise.all(queueing);
      if (queueFailure !== undefined) throw queueFailure;
    })();
    await pause(2_000); // the stream runs before the load starts
    const paths = ["/api/v1/apps?limit=50", "/api/v1/apps/api-007/deployments?limit=50"];
    const results: Omit<ApiLoad, "changesPerSecond">[] = [];
    let rate = 0;
    for (const path of paths) {
      await load(server.url, token, path, 2); // warm-up
      const before = changes;
      const t = performance.now();
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      results.push(await load(server.url, token, path, duration));
      loop.disable();
      console.log(
        `  ${database} ${path}: event loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`,
      );
      rate += (changes - before) / ((performance.now() - t) / 1000);
    }
    stopped = true;
    await driver;
    const sample = await store.listDeployments({ appName: "api-007" }, { limit: 50 });
    const failed = sample.items.find((d) => d.status === "failed");
    if (failed !== undefined) {
      const events = await store.deploymentEvents(failed.id);
      throw new Error(`a deployment failed: ${events.at(-1)?.message}`);
    }
    // The worse of the two list pages is the figure.
    const worst = results.reduce((a, b) => (b.p99 > a.p99 ? b : a));
    for (const r of results) {
      console.log(
        `  ${database} ${r.path.padEnd(44)} p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  ${r.rps.toFixed(0)} req/s  non-2xx ${r.non2xx}`,
      );
    }
    return { ...worst, changesPerSecond: rate / paths.length };
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (database === "postgres") {
      await admin.query(`drop database if exists ${dbName} with (force)`);
      await admin.end();
    }
  }
}

const wrk = spawnSync("wrk", ["--version"], { encoding: "utf8" }).error === undefined;

/** The load generator in its own process, awaited without blocking this one (the server runs here). */
async function load(url: string, token: string, path: string, seconds: number) {
  const args = wrk
    ? ["-t1", "-c100", `-d${seconds}s`, "--latency", "-H", `authorization: Bearer ${token}`, `${url}${path}`]
    : [
        join(repoRoot, "node_modules/autocannon/autocannon.js"),
        "-c",
        "100",
        "-d",
        String(seconds),
        "-j",
        "-H",
        `authorization=Bearer ${token}`,
        `${url}${path}`,
      ];
  const child = spawn(wrk ? "wrk" : process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`load generator failed: ${err}`);
  if (!wrk) {
    const json = JSON.parse(out) as {
      latency: { p50: number; p99: number };
      requests: { average: number };
      non2xx: number;
    };
    return {
      generator: "autocannon",
      path,
      p50: json.latency.p50,
      p99: json.latency.p99,
      rps: json.requests.average,
      non2xx: json.non2xx,
    };
  }
  const ms = (label: string) => {
    const m = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(out);
    if (!m) throw new Error(`wrk printed no ${label}th percentile:\n${out}`);
    const value = Number(m[1]);
    return m[2] === "us" ? value / 1000 : m[2] === "s" ? value * 1000 : value;
  };
  return {
    generator: "wrk",
    path,
    p50: ms("50"),
    p99: ms("99"),
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
  };
}
