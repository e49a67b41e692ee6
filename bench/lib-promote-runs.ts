/**
 * The promote benchmark's runs on the test control plane: one promotion against the direct apply,
 * 100 promotions at once, merge to stable, and 1 against 3 replicas on PostgreSQL.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { KubeCluster } from "../src/cluster/kube-cluster.ts";
import { render } from "../src/render/render.ts";
import { parseAppSpec, parsePlatform } from "../src/spec/parse.ts";
import { openPostgresStore } from "../src/store/open.ts";
import type { Store } from "../src/store/store.ts";
import { systemActor } from "../src/store/store.ts";
import { FIRST_CONTEXT } from "../test/cluster/layout.ts";
import {
  apiServer429s,
  appliedAt,
  appSpec,
  type BenchCluster,
  digest,
  ended,
  IMAGE,
  register,
  release,
  serveBench,
} from "./lib-promote-cluster.ts";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
export const postgresUrl = process.env.SLIPWAY_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const names = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, "0")}`);

/**
 * `samples` promotions of one app develop → integration over the API (request → applied), each
 * after a direct apply of the same objects with Slipway's cluster adapter, in turn.
 */
export async function oneApp(cluster: BenchCluster, samples: number) {
  const team = cluster.team("bench");
  cluster.namespaces(team, ["develop", "integration"]);
  const commit = cluster.commitApps(team, ["p-000"]);
  const platformFile = cluster.platformFile("manual", { auto: false });
  const served = await serveBench(cluster, platformFile);
  const promote: number[] = [];
  const direct: number[] = [];
  /** Where a promotion's time goes: request, queued → claimed, render and gate, apply. */
  const phases = {
    request: [] as number[],
    claim: [] as number[],
    prepare: [] as number[],
    apply: [] as number[],
  };
  try {
    await register(served, team, ["p-000"]);
    const platform = parsePlatform(readFileSync(platformFile, "utf8"), platformFile);
    const spec = parseAppSpec(appSpec("p-direct", team), "p-direct/slipway.yaml", platform);
    const adapter = await KubeCluster.connect({ kubeconfig: cluster.kubeconfig, context: FIRST_CONTEXT });
    // A server that has run for a while: its first promotions load the renderer and the policy
    // rules and run them unoptimized (the first render alone takes ~100 ms).
    const warmup = 10;
    for (let i = 0; i < samples + warmup; i++) {
      // The floor: the same 10 objects (another app's names), a new digest each time.
      // Each is measured on a cluster whose last rollout has ended: the release's in develop
      // before the direct apply, the direct apply's before the promotion.
      const id = await release(served, cluster, "p-000", commit, i + 1);
      await ended(served, "p-000", "develop", id);
      const image = `${IMAGE}@${digest(10_000 + i)}`;
      const { objects } = render({ app: spec, platform, target: "integration", image, release: `rel_${i}` });
      const floor = {
        scope: { app: "p-direct", target: "integration", team },
        objects,
        prune: true,
        release: { commit, image },
      };
      const t = performance.now();
      await adapter.apply({ ...floor, wait: false });
      const directMs = performance.now() - t;
      // The same objects again, unchanged (nothing is written), waiting for their rollout.
      await adapter.apply({ ...floor, wait: true });

      const t0 = Date.now();
      const promoted = await served.call("POST", "/api/v1/apps/p-000/promotions", { to: "integration" });
      if (promoted.status !== 201)
        throw new Error(`promotion: ${promoted.status} ${JSON.stringify(promoted.json)}`);
      const deployment = await ended(served, "p-000", "integration", id);
      const ms = (await appliedAt(served, deployment.id)) - t0;
      if (i >= warmup) {
        promote.push(ms);
        direct.push(directMs);
        const at = new Map<string, number>(
          (await served.server.store.deploymentEvents(deployment.id)).map((e) => [
            e.status,
            Date.parse(e.at),
          ]),
        );
        const when = (status: string) => at.get(status) ?? Number.NaN;
        phases.request.push(when("pending") - t0);
        phases.claim.push(when("rendering") - when("pending"));
        phases.prepare.push(when("applying") - when("rendering"));
        phases.apply.push(when("progressing") - when("applying"));
      }
    }
  } finally {
    await served.server.close();
  }
  return { promote, direct, phases };
}

/** `count` apps, each with a release available in develop, all promoted to integration at once. */
export async function parallel(cluster: BenchCluster, count: number) {
  const team = cluster.team("par");
  const apps = names("par", count);
  cluster.namespaces(team, ["develop", "integration"]);
  const commit = cluster.commitApps(team, apps);
  const served = await serveBench(cluster, cluster.platformFile("manual", { auto: false }));
  try {
    await register(served, team, apps);
    const releases = new Map<string, string>();
    await pool(apps, 8, async (app) => releases.set(app, await release(served, cluster, app, commit, 1)));
    await pool(apps, 16, (app) => ended(served, app, "develop", releases.get(app)!, 300_000));
    const kubeBefore = apiServer429s(cluster);
    const t0 = Date.now();
    const answers = await Promise.all(
      apps.map((app) => served.call("POST", `/api/v1/apps/${app}/promotions`, { to: "integration" })),
    );
    const api429 = answers.filter((a) => a.status === 429).length;
    const refused = answers.filter((a) => a.status !== 201 && a.status !== 429);
    if (refused.length > 0) console.error(`refused: ${JSON.stringify(refused[0])}`);
    const applied: number[] = [];
    let last = t0;
    let completed = 0;
    await pool(apps, 16, async (app) => {
      const d = await ended(served, app, "integration", releases.get(app)!, 300_000);
      applied.push((await appliedAt(served, d.id)) - t0);
      const events = await served.server.store.deploymentEvents(d.id);
      last = Math.max(last, Date.parse(events.find((e) => e.status === "available")!.at));
      completed++;
    });
    return {
      count,
      completed,
      seconds: (last - t0) / 1000,
      applied,
      api429,
      kube429: apiServer429s(cluster) - kubeBefore,
    };
  } finally {
    await served.server.close();
  }
}

/** A release created → available in stable, every later channel promoting by itself: seconds per run. */
export async function mergeToStable(cluster: BenchCluster, runs: number): Promise<number[]> {
  const team = cluster.team("auto");
  cluster.namespaces(team, ["develop", "integration", "staging", "beta", "stable"]);
  const commit = cluster.commitApps(team, ["m-000"]);
  const served = await serveBench(cluster, cluster.platformFile("auto", { auto: true }));
  const seconds: number[] = [];
  try {
    await register(served, team, ["m-000"]);
    for (let r = 0; r < runs; r++) {
      const t0 = Date.now();
      const id = await release(served, cluster, "m-000", commit, 100 + r);
      const d = await ended(served, "m-000", "stable", id, 120_000);
      const events = await served.server.store.deploymentEvents(d.id);
      seconds.push((Date.parse(events.find((e) => e.status === "available")!.at) - t0) / 1000);
      if (r === 0)
        console.log(`  merge to stable, where the time goes: ${await mergeTimeline(served, id, t0)}`);
    }
  } finally {
    await served.server.close();
  }
  return seconds;
}

/** Per channel: queued (after the channel before was available), applied, available (s from t0). */
async function mergeTimeline(served: Awaited<ReturnType<typeof serveBench>>, releaseId: string, t0: number) {
  const parts: string[] = [];
  for (const channel of ["develop", "integration", "staging", "beta", "stable"]) {
    const { items } = await served.server.store.listDeployments(
      { appName: "m-000", targetName: channel },
      { limit: 5 },
    );
    const d = items.find((x) => x.releaseId === releaseId);
    if (d === undefined) continue;
    const at = new Map(
      (await served.server.store.deploymentEvents(d.id)).map((e) => [e.status, Date.parse(e.at)]),
    );
    const s = (status: string) => (((at.get(status as never) ?? Number.NaN) - t0) / 1000).toFixed(2);
    parts.push(`${channel} queued ${s("pending")} applied ${s("progressing")} available ${s("available")}`);
  }
  return parts.join("; ");
}

/**
 * `jobs` deployments queued for one running `slipway serve` on PostgreSQL; again (other channels)
 * for three; then both again. Throughput from the first claim to the last end, over both rounds.
 */
export async function replicas(cluster: BenchCluster, jobs: number) {
  const team = cluster.team("rep");
  const apps = names("rep", Math.ceil(jobs / 2));
  // Two rounds, one replica then three, each on channels of its own: on two cores one run's
  // throughput moves by a quarter from one run to the next, so each count is measured twice.
  const rounds = [1, 3, 1, 3].map((count, i) => ({ count, targets: [`r${i}-a`, `r${i}-b`] }));
  const channels = ["intake", ...rounds.flatMap((r) => r.targets)];
  cluster.namespaces(team, channels.slice(1));
  const commit = cluster.commitApps(team, apps);
  const platformFile = cluster.platformFile("replicas", { auto: false, channels, firstAuto: false });
  const database = `slipway_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`create database ${database}`);
  const url = new URL(postgresUrl);
  url.pathname = `/${database}`;
  let store: Store | undefined;
  try {
    // Releases made over the API (nothing deploys them: the first channel does not autoDeploy).
    const setup = await serveBench(cluster, platformFile, { databaseUrl: url.toString() });
    const releases: string[] = [];
    try {
      await register(setup, team, apps);
      await pool(apps, 8, async (app) => {
        releases.push(await release(setup, cluster, app, commit, 1));
      });
    } finally {
      await setup.server.close();
    }
    store = await openPostgresStore(url.toString());
    const run = async (replicaCount: number, targets: string[]) => {
      // The replicas are up before the work comes, as a platform's are: their start-up (three
      // processes loading at once on two cores) is not throughput.
      const servers = await Promise.all(
        Array.from({ length: replicaCount }, () => serveProcess(cluster, platformFile, url.toString())),
      );
      const ids: string[] = [];
      try {
        for (const releaseId of releases) {
          for (const targetName of targets) {
            ids.push((await store!.enqueueDeployment(systemActor, { releaseId, targetName })).id);
          }
        }
        await waitAllEnded(store!, ids);
      } finally {
        await Promise.all(servers.map(stopProcess));
      }
      let first = Number.POSITIVE_INFINITY;
      let last = 0;
      let twice = 0;
      for (const id of ids) {
        const events = await store!.deploymentEvents(id);
        const started = events.find((e) => e.status === "rendering");
        if (started) first = Math.min(first, Date.parse(started.at));
        last = Math.max(last, Date.parse(events.at(-1)!.at));
        // Applies started: an `applying` event of its own (the target's waiting notices and a
        // resumed job's "still applying" carry more after a semicolon or a parenthesis).
        const applying = events.filter((e) => e.status === "applying" && !/[;(]/.test(e.message)).length;
        if (applying !== 1 || events.at(-1)?.status !== "available") {
          twice++;
          if (twice <= 3) {
            console.error(
              `  ${id}: ${events.map((e) => `${e.status}: ${e.message.slice(0, 160)}`).join(" | ")}`,
            );
          }
        }
      }
      return { jobs: ids.length, seconds: (last - first) / 1000, twice };
    };
    const done = { 1: { jobs: 0, seconds: 0 }, 3: { jobs: 0, seconds: 0 } };
    let appliedTwice = 0;
    for (const round of rounds) {
      const r = await run(round.count, round.targets);
      console.error(`[bench] ${round.count} replica(s): ${(r.jobs / r.seconds).toFixed(1)} deployments/s`);
      done[round.count as 1 | 3].jobs += r.jobs;
      done[round.count as 1 | 3].seconds += r.seconds;
      appliedTwice += r.twice;
      // Each round starts on a cluster as quiet as the first had: the round's apps go.
      await cluster.settle(round.targets.map((t) => `${team}-${t}`));
    }
    return { one: done[1].jobs / done[1].seconds, three: done[3].jobs / done[3].seconds, appliedTwice };
  } finally {
    await store?.close();
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  }
}

async function waitAllEnded(store: Store, ids: readonly string[]): Promise<void> {
  const end = Date.now() + 600_000;
  const open = new Set(ids);
  while (open.size > 0) {
    for (const id of [...open]) {
      if ((await store.getJob(id))?.state === "done") open.delete(id);
    }
    if (Date.now() > end) throw new Error(`${open.size} deployments never ended`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** `slipway serve` as its own process, as a replica runs. */
async function serveProcess(cluster: BenchCluster, platformFile: string, databaseUrl: string) {
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, "bin/slipway.js"),
      "serve",
      "--database",
      databaseUrl,
      "--platform",
      platformFile,
      "--data",
      mkdtempSync(join(cluster.work, "replica-")),
      "--listen",
      "127.0.0.1:0",
    ],
    {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, KUBECONFIG: cluster.kubeconfig },
    },
  );
  let out = "";
  let err = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes("listening on")) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
    child.once("exit", (code) => {
      clearInterval(timer);
      reject(new Error(`replica exited with ${code}: ${err}`));
    });
  });
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}
