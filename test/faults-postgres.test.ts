/**
 * PostgreSQL stopped and started again under a running Slipway server (a PostgreSQL of this
 * file's own, never the shared one): requests during the outage get 503 saying the database is
 * unavailable, the server answers again by itself once it is back, everything written before is
 * still there, and a deployment the engine was working on runs to its end. Figures are printed as
 * `figure:` lines (`npm run bench -- faults`).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Executor } from "../src/engine/executor.ts";
import { type RunningServer, startServer } from "../src/server/main.ts";
import { systemActor } from "../src/store/store.ts";
import { type PrivatePostgres, startPrivatePostgres } from "./support/private-postgres.ts";

let pg: PrivatePostgres;
let server: RunningServer;
let dataDir: string;
const log: string[] = [];
/** Opened once the database is back: the deployment in flight then finishes. */
let reopen: () => void = () => {};
const backAgain = new Promise<void>((resolve) => {
  reopen = resolve;
});
let attempts = 0;

const executor: Executor = async (job) => {
  attempts++;
  await job.record("rendering", "rendering for develop");
  await job.record("applying", "applying 4 objects to the test target");
  await backAgain;
  await job.record("progressing", "web: 1/2 ready");
  return { status: "available", message: "all workloads available" };
};

before(async () => {
  pg = await startPrivatePostgres();
  dataDir = mkdtempSync(join(tmpdir(), "slipway-faults-pg-"));
  server = await startServer({
    dataDir,
    databaseUrl: pg.url,
    listen: "127.0.0.1:0",
    demo: false,
    executor,
    env: {},
    log: (line) => log.push(line),
  });
});

after(async () => {
  reopen();
  await server?.close();
  pg?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.adminToken}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    body: (await response.json()) as Record<string, unknown>,
  };
}

test("PostgreSQL restarted under the server: 503 saying so during the outage, back by itself, nothing lost, the deployment in flight finishes", async (t) => {
  assert.equal((await api("POST", "/api/v1/teams", { name: "payments" })).status, 201);
  for (const name of ["web", "worker", "cron"]) {
    const created = await api("POST", "/api/v1/apps", { name, team: "payments", description: "" });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  }
  const release = await server.store.createRelease(systemActor, {
    appName: "web",
    commitSha: "1234567",
    imageDigest: `sha256:${"a".repeat(64)}`,
    specHash: "1".repeat(64),
    secretsHash: "2".repeat(64),
    commitTime: null,
  });
  const queued = await api("POST", "/api/v1/apps/web/deployments", {
    release: release.release.id,
    target: "develop",
  });
  assert.equal(queued.status, 201, JSON.stringify(queued.body));
  const deployment = String(queued.body.id);
  for (let i = 0; i < 200 && attempts === 0; i++) await sleep(25);
  assert.equal(attempts, 1, "the engine is working on the deployment");

  pg.stop();
  const down = Date.now();
  const read = await api("GET", "/api/v1/apps");
  const detectMs = Date.now() - down;
  assert.equal(read.status, 503, JSON.stringify(read.body));
  const error = read.body.error as { code: string; message: string };
  assert.equal(error.code, "SLIPWAY_E_UNAVAILABLE");
  assert.match(error.message, /^the server's database is unavailable right now \(it may be restarting\)/);
  assert.match(error.message, /the server reconnects by itself/);
  assert.equal(read.retryAfter, "2");
  const write = await api("POST", "/api/v1/apps", { name: "lost", team: "payments", description: "" });
  assert.equal(write.status, 503, JSON.stringify(write.body));
  assert.doesNotMatch(JSON.stringify(write.body), /internal error/);
  // Long enough for the engine's lease renewals and the change feed's heartbeat to fail.
  await sleep(2000);

  pg.start();
  const up = Date.now();
  let answered: Awaited<ReturnType<typeof api>> | undefined;
  for (let i = 0; i < 300; i++) {
    answered = await api("GET", "/api/v1/apps");
    if (answered.status === 200) break;
    await sleep(50);
  }
  const recoverMs = Date.now() - up;
  assert.equal(answered?.status, 200, "the server answers again without a restart");
  const items = (answered?.body.items ?? []) as { name: string }[];
  const names = items.map((a) => a.name).sort();
  assert.deepEqual(
    names,
    ["cron", "web", "worker"],
    "everything written before is there; the refused write is not",
  );
  assert.equal(
    (await api("POST", "/api/v1/apps", { name: "after", team: "payments", description: "" })).status,
    201,
  );

  reopen();
  let status = "";
  for (let i = 0; i < 400 && status !== "available"; i++) {
    status = String((await api("GET", `/api/v1/deployments/${deployment}`)).body.status);
    if (status !== "available") await sleep(50);
  }
  assert.equal(status, "available", `the deployment in flight ends available:\n${log.join("\n")}`);
  assert.equal(attempts, 1, "run once, not again");
  t.diagnostic(
    `figure: PostgreSQL restarted: detect=${(detectMs / 1000).toFixed(1)}s recover=${(recoverMs / 1000).toFixed(1)}s`,
  );
});
