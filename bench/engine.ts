/**
 * `npm run bench -- engine`: how many deployments a second the engine gets through when the
 * deploying itself costs nothing — the store's share of each job (enqueue, claim, four fenced status
 * writes, lease renewals) on SQLite, on PostgreSQL with one engine, and on PostgreSQL with three
 * engines sharing the jobs (in this process: the database is what they share and contend on).
 * Each run: N deployments to N/2 apps × 2 channels (no two for the same app and channel), an
 * executor that records rendering, applying and progressing and returns available.
 *
 * usage: npm run bench -- engine [--jobs N]
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { Engine } from "../src/engine/engine.ts";
import type { Executor } from "../src/engine/executor.ts";
import { openPostgresStore, openSqliteStore } from "../src/store/open.ts";
import { type Store, systemActor } from "../src/store/store.ts";

const { values } = parseArgs({ options: { jobs: { type: "string", default: "400" } } });
const jobs = Number(values.jobs);
const postgresUrl = process.env.SLIPWAY_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const executor: Executor = async (job) => {
  await job.record("rendering", "rendering");
  await job.record("applying", "applying");
  await job.record("progressing", "tracking");
  return { status: "available", message: "available" };
};

async function run(label: string, store: Store, engines: number): Promise<number> {
  await store.createTeam(systemActor, "bench");
  for (const name of ["develop", "staging"]) {
    await store.createTarget(systemActor, { name, kind: "channel" }).catch(() => {});
  }
  const releases: string[] = [];
  for (let a = 0; a < jobs / 2; a++) {
    const app = `app-${a}`;
    await store.createApp(systemActor, { name: app, teamName: "bench", description: "" });
    const made = await store.createRelease(systemActor, {
      appName: app,
      commitSha: (a + 1).toString(16).padStart(7, "0"),
      imageDigest: `sha256:${"a".repeat(64)}`,
      specHash: "1".repeat(64),
      secretsHash: "2".repeat(64),
      commitTime: null,
    });
    releases.push(made.release.id);
  }
  const ids: string[] = [];
  const enqueueStart = performance.now();
  for (const release of releases) {
    for (const targetName of ["develop", "staging"]) {
      ids.push((await store.enqueueDeployment(systemActor, { releaseId: release, targetName })).id);
    }
  }
  const enqueueMs = performance.now() - enqueueStart;
  const running = Array.from(
    { length: engines },
    (_, i) => new Engine({ store, executor, owner: `bench-${i}`, pollMs: 20, concurrency: 8, log: () => {} }),
  );
  const start = performance.now();
  for (const engine of running) engine.start();
  const last = ids.at(-1) ?? "";
  for (;;) {
    const done = (await store.getJob(last))?.state === "done";
    if (done && (await Promise.all(ids.map((id) => store.getJob(id)))).every((j) => j?.state === "done"))
      break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(running.map((e) => e.stop()));
  const rate = jobs / seconds;
  console.log(
    `${label.padEnd(28)} ${jobs} jobs in ${seconds.toFixed(2)} s: ${rate.toFixed(0)} jobs/s  (enqueue ${(jobs / (enqueueMs / 1000)).toFixed(0)}/s)`,
  );
  return rate;
}

const dir = mkdtempSync(join(tmpdir(), "slipway-bench-engine-"));
const sqlite = await openSqliteStore(join(dir, "slipway.db"));
const sqliteRate = await run("SQLite, 1 engine", sqlite, 1);
await sqlite.close();
rmSync(dir, { recursive: true, force: true });

const results: Record<string, number> = { engine_jobs_per_s_sqlite: Math.round(sqliteRate) };
for (const engines of [1, 3]) {
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const store = await openPostgresStore(postgresUrl, { schema });
  try {
    results[`engine_jobs_per_s_postgres_${engines}`] = Math.round(
      await run(`PostgreSQL, ${engines} engine${engines > 1 ? "s" : ""}`, store, engines),
    );
  } finally {
    await store.close();
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`drop schema ${schema} cascade`);
    await client.end();
  }
}
console.log(JSON.stringify(results));
