/**
 * `npm run bench -- dora`: one DORA request over a long history, on SQLite and on PostgreSQL in the
 * same run. Each database gets one app with 300 releases of 1,000 commits each (one a day, each
 * holding the one before, each deployed to production and available), 300,000 recorded commits.
 * Measured, one request after another:
 *   - before: what the route read until the window was bounded — every deployment and every
 *     release's commits (`listDeliveryReleases`), then the numbers of the app and of the team;
 *   - after: what it reads now (`readDoraWindow`), then the same numbers;
 *   - route: `GET /api/v1/dora?team=&window=` in process (authentication, the same numbers, JSON).
 * Both reads give the same report (checked here on every database before timing). Prints p50/p99,
 * the commits each read returned and the growth of the process's RSS, then one JSON line.
 * SQLite's driver is synchronous: a request's time there is time the whole server waits.
 *
 * usage: npm run bench -- dora [--releases N] [--commits N] [--runs N] [--window 30d] [--keep]
 *        [--databases sqlite,postgres]
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { windowSeconds } from "../src/api/history.ts";
import { computeDora, type DoraDeployment, type DoraRelease } from "../src/delivery/dora.ts";
import { doraSettings } from "../src/delivery/dora-settings.ts";
import { createApi } from "../src/server/app.ts";
import { issueToken } from "../src/server/auth/api-tokens.ts";
import { authenticator } from "../src/server/auth/authenticate.ts";
import { defaultPlatform } from "../src/spec/parse.ts";
import { CachedStore } from "../src/store/cached-store.ts";
import { openPostgresStore, openSqliteStore } from "../src/store/open.ts";
import type { ReleaseCommit } from "../src/store/release-commit-queries.ts";
import { type Store, systemActor } from "../src/store/store.ts";

const { values } = parseArgs({
  options: {
    releases: { type: "string", default: "300" },
    commits: { type: "string", default: "1000" },
    runs: { type: "string", default: "20" },
    window: { type: "string", default: "30d" },
    // Leaves the databases in place (and says where), to look at the queries' plans.
    keep: { type: "boolean", default: false },
    databases: { type: "string", default: "sqlite,postgres" },
  },
});
const releaseCount = Number(values.releases);
const commitsPerRelease = Number(values.commits);
const runs = Number(values.runs);
const windowText = values.window;
const postgresUrl = process.env.SLIPWAY_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const hour = 3_600_000;
const day = 24 * hour;
const settings = doraSettings(defaultPlatform().platform);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** The history ends an hour before the real now, so the route's own window (until now) holds it. */
async function seed(store: Store, setClock: (ms: number) => void): Promise<number> {
  const started = performance.now();
  const end = Date.now() - hour;
  await store.createTeam(systemActor, "payments");
  await store.createApp(systemActor, { name: "shop", teamName: "payments", description: "" });
  let previous: string | null = null;
  let next = 1;
  for (let n = 0; n < releaseCount; n++) {
    const at = end - (releaseCount - n) * day;
    setClock(at);
    const items: ReleaseCommit[] = Array.from({ length: commitsPerRelease }, (_, i) => ({
      sha: (next++).toString(16).padStart(40, "0"),
      author: "Ada Lovelace <ada@example.com>",
      authoredAt: new Date(at - (i + 1) * 60_000).toISOString(),
      subject: `change number ${next} of the shop`,
    }));
    const created = await store.createRelease(systemActor, {
      appName: "shop",
      commitSha: items[0]!.sha,
      imageDigest: `sha256:${n.toString(16).padStart(64, "0")}`,
      specHash: "a".repeat(64),
      secretsHash: "b".repeat(64),
      commitTime: items[0]!.authoredAt,
      commits: { items, total: items.length, containsReleaseId: previous },
    });
    previous = created.release.id;
    setClock(at + hour);
    const deployment = await store.startDeployment(systemActor, {
      releaseId: previous,
      targetName: "stable",
    });
    setClock(at + hour + 10 * 60_000);
    await store.recordDeploymentStatus(systemActor, {
      deploymentId: deployment.id,
      status: "available",
      message: "",
    });
  }
  setClock(Number.NaN);
  return (performance.now() - started) / 1000;
}

/** The route's numbers from what was read: the team's, and each app's (one app here). */
function numbers(deployments: readonly DoraDeployment[], releases: readonly DoraRelease[], to: number) {
  const window = {
    from: new Date(to - windowSeconds(windowText) * 1000).toISOString(),
    to: new Date(to).toISOString(),
  };
  const app = computeDora(
    deployments.filter((d) => d.appName === "shop"),
    window,
    settings,
    releases.filter((r) => r.appName === "shop"),
  );
  return { total: computeDora(deployments, window, settings, releases), app };
}

async function before(store: Store, to: number) {
  const until = new Date(to).toISOString();
  const [deployments, releases] = await Promise.all([
    store.listDeliveryRecords({ teamName: "payments", targetName: settings.productionChannel, until }),
    store.listDeliveryReleases({ teamName: "payments", until }),
  ]);
  return { report: numbers(deployments, releases, to), commits: count(releases) };
}

async function after(store: Store, to: number) {
  const inputs = await store.readDoraWindow({
    teamName: "payments",
    targetName: settings.productionChannel,
    from: new Date(to - windowSeconds(windowText) * 1000).toISOString(),
    until: new Date(to).toISOString(),
  });
  return { report: numbers(inputs.deployments, inputs.releases, to), commits: count(inputs.releases) };
}

function count(releases: readonly DoraRelease[]): number {
  return releases.reduce((n, r) => n + r.commits.length, 0);
}

interface Figures {
  p50: number;
  p99: number;
  commits?: number;
  rssGrowthMiB: number;
}

async function measure(work: () => Promise<{ commits?: number }>): Promise<Figures> {
  gc();
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  let commits: number | undefined;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const result = await work();
    times.push(performance.now() - started);
    peak = Math.max(peak, process.memoryUsage().rss);
    commits = result.commits;
  }
  times.sort((a, b) => a - b);
  const rank = (p: number) => times[Math.max(0, Math.ceil((p / 100) * times.length) - 1)]!;
  return {
    p50: round(rank(50)),
    p99: round(rank(99)),
    ...(commits === undefined ? {} : { commits }),
    rssGrowthMiB: round((peak - rssBefore) / 2 ** 20),
  };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

async function benchOne(kind: "sqlite" | "postgres") {
  let clock = Number.NaN;
  const now = () => new Date(Number.isNaN(clock) ? Date.now() : clock);
  const setClock = (ms: number) => {
    clock = ms;
  };
  let cleanup: () => Promise<void>;
  let raw: Store;
  let where: string;
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "slipway-bench-dora-"));
    where = join(dir, "slipway.db");
    raw = await openSqliteStore(where, { now });
    cleanup = async () => {
      if (!values.keep) rmSync(dir, { recursive: true, force: true });
    };
  } else {
    const schema = `bench_dora_${randomBytes(4).toString("hex")}`;
    where = `${postgresUrl} schema ${schema}`;
    raw = await openPostgresStore(postgresUrl, { schema, now });
    cleanup = async () => {
      if (values.keep) return;
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    };
  }
  // As the server runs it: behind its read cache.
  const store = new CachedStore(raw);
  try {
    await store
      .getTarget("stable")
      .catch(() => store.createTarget(systemActor, { name: "stable", kind: "channel" }));
    const seedSeconds = await seed(store, setClock);
    const admin = await store.ensureUser(systemActor, {
      subject: "bench:admin",
      displayName: "admin",
      isAdmin: true,
    });
    const token = (await issueToken(store, systemActor, { userId: admin.id, name: "bench", expiresAt: null }))
      .secret;
    const api = createApi({
      store,
      authenticate: authenticator({ store }),
      logger: { error: () => {}, info: () => {} },
    });

    const check = Date.now();
    const old = await before(store, check);
    const bounded = await after(store, check);
    assert.deepEqual(bounded.report, old.report, `${kind}: the bounded read changed the report`);
    const leadTimes = bounded.report.total.leadTime.count;

    const afterFigures = await measure(() => after(store, Date.now()));
    const route = await measure(async () => {
      const response = await api.request(`/api/v1/dora?team=payments&window=${windowText}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(response.status, 200, await response.clone().text());
      await response.arrayBuffer();
      return {};
    });
    const beforeFigures = await measure(() => before(store, Date.now()));
    return { seedSeconds: round(seedSeconds), leadTimes, before: beforeFigures, after: afterFigures, route };
  } finally {
    await store.close();
    await cleanup();
    if (values.keep) console.log(`  kept: ${where}`);
  }
}

const results: Record<string, Awaited<ReturnType<typeof benchOne>>> = {};
for (const kind of values.databases.split(",") as ("sqlite" | "postgres")[]) {
  const r = await benchOne(kind);
  results[kind] = r;
  console.log(
    `${kind}: ${releaseCount} releases × ${commitsPerRelease} commits (seeded in ${r.seedSeconds} s), window ${windowText}, ${r.leadTimes} lead times`,
  );
  console.log(
    `  before  p50 ${r.before.p50} ms  p99 ${r.before.p99} ms  commits read ${r.before.commits}  RSS +${r.before.rssGrowthMiB} MiB`,
  );
  console.log(
    `  after   p50 ${r.after.p50} ms  p99 ${r.after.p99} ms  commits read ${r.after.commits}  RSS +${r.after.rssGrowthMiB} MiB`,
  );
  console.log(`  route   p50 ${r.route.p50} ms  p99 ${r.route.p99} ms (GET /api/v1/dora, after)`);
  console.log(`  before/after p50: ${round(r.before.p50 / r.after.p50)}×`);
}
console.log(
  JSON.stringify({
    bench: "dora",
    releases: releaseCount,
    commitsPerRelease,
    window: windowText,
    runs,
    ...results,
  }),
);
