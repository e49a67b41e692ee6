/**
 * `npm run bench -- api`: the API's read endpoints under load, on SQLite and on PostgreSQL in the
 * same run. Each database gets 2,000 apps and 50,000 releases; the server runs as its own process
 * (`slipway serve`) and a load generator in another process drives it with 100 connections: wrk
 * (C; `apt-get install wrk`) when it is installed, else autocannon — which needs about as much CPU
 * as the server, so on a 2-core machine it measures itself as much as Slipway. Prints p50/p99
 * latency, requests/s and the server's RSS per database and endpoint, then one JSON line.
 * The server is the compiled package (`dist/`), as an installed `slipway` runs it, with its read
 * cache on (the default); the list page is then measured once more with `--no-read-cache`, every
 * request a query, for reference.
 * Targets (issue 5): p99 ≤ 50 ms, ≥ 2,000 req/s on a list page, RSS ≤ 300 MiB.
 *
 * usage: npm run bench -- api [--apps N] [--releases N] [--duration S] [--connections N]
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { openPostgresStore, openSqliteStore } from "../src/store/open.ts";
import type { Store } from "../src/store/store.ts";
import { freePort } from "../src/testing/free-port.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({
  options: {
    apps: { type: "string", default: "2000" },
    releases: { type: "string", default: "50000" },
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "100" },
  },
});
const appCount = Number(values.apps);
const releaseCount = Number(values.releases);
const duration = Number(values.duration);
const connections = Number(values.connections);
const postgresUrl = process.env.SLIPWAY_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

// Measure what users run: the compiled package, not sources stripped of types as they load (the
// type stripper alone kept ~15 MiB of the server's RSS). bin/slipway.js picks the sources inside a
// checkout, so the server process imports dist/cli/main.js itself.
execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
const distMain = new URL("../dist/cli/main.js", import.meta.url).href;
const serveCompiled =
  "const { main } = await import(process.argv[1]); process.exitCode = await main(process.argv.slice(2));";

const actor = { userId: "bench", subject: "bench" };
const appName = (i: number) => `app-${String(i).padStart(5, "0")}`;

async function seed(store: Store): Promise<number> {
  const started = performance.now();
  const teams = 20;
  for (let t = 0; t < teams; t++) await store.createTeam(actor, `team-${t}`);
  await pool(appCount, 8, (i) =>
    store.createApp(actor, { name: appName(i), teamName: `team-${i % teams}`, description: `service ${i}` }),
  );
  await pool(releaseCount, 8, (i) =>
    store.createRelease(actor, {
      appName: appName(i % appCount),
      commitSha: (i + 0x1000000).toString(16),
      imageDigest: `sha256:${i.toString(16).padStart(64, "0")}`,
      specHash: "a".repeat(64),
      secretsHash: "b".repeat(64),
      commitTime: null,
    }),
  );
  return (performance.now() - started) / 1000;
}

async function pool(count: number, width: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** Starts `slipway serve`; the admin token is printed on the first start only (same banner write). */
async function startServer(
  args: string[],
): Promise<{ child: ChildProcess; url: string; token: string | undefined }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ["--input-type=module", "-e", serveCompiled, distMain, "serve", "--listen", `127.0.0.1:${port}`, ...args],
    {
      cwd: repo,
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes("listening on")) {
        clearInterval(timer);
        const token = /(slw_[A-Za-z0-9_-]{43})/.exec(out)?.[1];
        resolve({ child, url: `http://127.0.0.1:${port}`, token });
      }
    }, 50);
    child.once("exit", (code) => {
      clearInterval(timer);
      reject(new Error(`slipway serve exited with ${code}`));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

function rssMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

interface Load {
  readonly endpoint: string;
  readonly p50: number;
  readonly p99: number;
  readonly rps: number;
  readonly non2xx: number;
  readonly errors: number;
}

const wrk = spawnSync("wrk", ["--version"], { encoding: "utf8" }).error === undefined;
const generator = wrk ? "wrk" : "autocannon";

/** The load generator in its own process, so it does not share the server's event loop. */
function load(url: string, token: string, path: string): Load {
  return wrk ? loadWithWrk(url, token, path) : loadWithAutocannon(url, token, path);
}

function loadWithWrk(url: string, token: string, path: string): Load {
  const result = spawnSync(
    "wrk",
    [
      "-t1",
      `-c${connections}`,
      `-d${duration}s`,
      "--latency",
      "-H",
      `authorization: Bearer ${token}`,
      `${url}${path}`,
    ],
    { encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`wrk failed: ${result.stderr}`);
  const out = result.stdout;
  const ms = (label: string) => {
    const m = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(out);
    if (!m) throw new Error(`wrk printed no ${label}th percentile:\n${out}`);
    const value = Number(m[1]);
    return m[2] === "us" ? value / 1000 : m[2] === "s" ? value * 1000 : value;
  };
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    endpoint: path,
    p50: ms("50"),
    p99: ms("99"),
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    errors: socketErrors ? socketErrors.slice(1).reduce((n, v) => n + Number(v), 0) : 0,
  };
}

function loadWithAutocannon(url: string, token: string, path: string): Load {
  const result = spawnSync(
    process.execPath,
    [
      join(repo, "node_modules/autocannon/autocannon.js"),
      "-c",
      String(connections),
      "-d",
      String(duration),
      "-j",
      "-H",
      `authorization=Bearer ${token}`,
      `${url}${path}`,
    ],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`autocannon failed: ${result.stderr}`);
  const json = JSON.parse(result.stdout) as {
    latency: { p50: number; p99: number };
    requests: { average: number };
    non2xx: number;
    errors: number;
  };
  return {
    endpoint: path,
    p50: json.latency.p50,
    p99: json.latency.p99,
    rps: json.requests.average,
    non2xx: json.non2xx,
    errors: json.errors,
  };
}

interface Run {
  readonly database: "sqlite" | "postgres";
  readonly seedSeconds: number;
  readonly loads: readonly Load[];
  /** The list page with `--no-read-cache`. */
  readonly uncached: Load;
  readonly rssMiB: number;
  readonly peakRssMiB: number;
}

async function run(database: "sqlite" | "postgres"): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), "slipway-bench-api-"));
  const dbName = `slipway_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  let url = "";
  try {
    let store: Store;
    if (database === "postgres") {
      await admin.connect();
      await admin.query(`create database ${dbName}`);
      const parsed = new URL(postgresUrl);
      parsed.pathname = `/${dbName}`;
      url = parsed.toString();
      store = await openPostgresStore(url);
    } else {
      store = await openSqliteStore(join(dataDir, "slipway.db"));
    }
    console.log(`${database}: seeding ${appCount} apps and ${releaseCount} releases…`);
    const seedSeconds = await seed(store);
    await store.close();
    console.log(`${database}: seeded in ${seedSeconds.toFixed(1)} s`);
    const serveArgs = ["--data", dataDir, ...(database === "postgres" ? ["--database", url] : [])];
    const paths = [
      "/api/v1/apps?limit=50",
      `/api/v1/apps/${appName(1234)}/releases?limit=50`,
      `/api/v1/apps/${appName(777)}`,
    ];
    const print = (label: string, l: Load) =>
      console.log(
        `${label.padEnd(17)} ${l.endpoint.padEnd(46)} p50 ${l.p50.toFixed(1).padStart(6)} ms  p99 ${l.p99.toFixed(1).padStart(6)} ms  ${l.rps.toFixed(0).padStart(6)} req/s  non-2xx ${l.non2xx}  errors ${l.errors}`,
      );
    let token: string | undefined;
    const loads: Load[] = [];
    let memory: { rss: number; peak: number };
    const server = await startServer(serveArgs);
    try {
      token = server.token;
      if (token === undefined) throw new Error("the first start printed no admin token");
      load(server.url, token, paths[0]!); // warm-up: JIT, caches, connection pool
      for (const path of paths) {
        const l = load(server.url, token, path);
        loads.push(l);
        print(database, l);
      }
      memory = rssMiB(server.child.pid!);
      console.log(
        `${database}: server RSS ${memory.rss.toFixed(0)} MiB (peak ${memory.peak.toFixed(0)} MiB)`,
      );
    } finally {
      await stop(server.child);
    }
    // For reference: the list page when every request is a query (the cache's miss path).
    const uncachedServer = await startServer([...serveArgs, "--no-read-cache"]);
    let uncached: Load;
    try {
      load(uncachedServer.url, token, paths[0]!);
      uncached = load(uncachedServer.url, token, paths[0]!);
      print(`${database} uncached`, uncached);
    } finally {
      await stop(uncachedServer.child);
    }
    return { database, seedSeconds, loads, uncached, rssMiB: memory.rss, peakRssMiB: memory.peak };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    if (database === "postgres") {
      await admin.query(`drop database if exists ${dbName} with (force)`);
      await admin.end();
    }
  }
}

// The figures mean little without the machine's state: record how busy it was.
const loadBefore = loadavg()[0] ?? 0;
const runs = [await run("sqlite"), await run("postgres")];
const loadAfter = loadavg()[0] ?? 0;
console.log(
  `load average (1 min) before ${loadBefore.toFixed(1)}, after ${loadAfter.toFixed(1)} on ${cpus().length} CPUs`,
);
const list = (r: Run) => r.loads[0]!;
const ms = (v: number) => `${v.toFixed(1)} ms`;
console.log("");
console.log(`load generator: ${generator}, ${connections} connections, ${duration} s per endpoint`);
console.log(
  "database  list p99  list req/s  worst p99  peak RSS   uncached list p99, req/s   (targets: p99 ≤ 50 ms, ≥ 2000 req/s, ≤ 300 MiB)",
);
for (const r of runs) {
  const worst = Math.max(...r.loads.map((l) => l.p99));
  console.log(
    `${r.database.padEnd(9)} ${ms(list(r).p99).padStart(8)}  ${list(r).rps.toFixed(0).padStart(10)}  ${ms(worst).padStart(9)}  ${`${r.peakRssMiB.toFixed(0)} MiB`.padStart(8)}   ${ms(r.uncached.p99).padStart(9)}, ${r.uncached.rps.toFixed(0).padStart(6)}`,
  );
}
const [sqlite, postgres] = runs as [Run, Run];
console.log(
  `postgres / sqlite on the list page: ${(list(postgres).rps / list(sqlite).rps).toFixed(2)}x the throughput, ${(list(postgres).p99 / Math.max(1, list(sqlite).p99)).toFixed(2)}x the p99`,
);
const endpointJson = (l: Load) => ({
  path: l.endpoint,
  p50Ms: l.p50,
  p99Ms: l.p99,
  rps: Math.round(l.rps),
  non2xx: l.non2xx,
  errors: l.errors,
});
console.log(
  JSON.stringify({
    bench: "api",
    generator,
    apps: appCount,
    releases: releaseCount,
    connections,
    durationSeconds: duration,
    cpus: cpus().length,
    loadAverage: { before: Number(loadBefore.toFixed(1)), after: Number(loadAfter.toFixed(1)) },
    results: runs.map((r) => ({
      database: r.database,
      seedSeconds: Number(r.seedSeconds.toFixed(1)),
      rssMiB: Math.round(r.rssMiB),
      peakRssMiB: Math.round(r.peakRssMiB),
      endpoints: r.loads.map(endpointJson),
      uncachedList: endpointJson(r.uncached),
    })),
  }),
);
