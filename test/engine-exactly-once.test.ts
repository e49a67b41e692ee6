/**
 * Every deployment is applied exactly once: three server replicas on one fresh PostgreSQL database
 * share 100 deployments, and replicas are killed with SIGKILL at chosen points — before anything is
 * applied, after `applying` was recorded but before the target heard of it, in the middle of an
 * apply (the target has it, the replica never learns), and while tracking the rollout. Other jobs
 * each killed replica held are taken over wherever they were. A killed
 * replica is started again, as an orchestrator would. At the end every deployment is available,
 * with one final event, and the instrumented target saw exactly one apply of each.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { openPostgresStore } from "../src/store/open.ts";
import { type Store, systemActor } from "../src/store/store.ts";
import { postgresUrl } from "./support/databases.ts";
import { type Replica, startReplica as startEngineReplica } from "./support/engine-replicas.ts";

const leaseMs = 1_500;
const total = 100;

type Phase = "rendering" | "pre-apply" | "apply" | "tracking";

function databaseUrl(name: string): string {
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function startReplica(dbUrl: string, targetUrl: string): Promise<Replica> {
  return startEngineReplica([dbUrl, targetUrl, String(leaseMs)]);
}

describe("three replicas on PostgreSQL, SIGKILLed at chosen points", () => {
  const dbName = `slipway_once_${randomBytes(5).toString("hex")}`;
  const dbUrl = databaseUrl(dbName);
  let admin: pg.Client;
  let store: Store;
  let target: ReturnType<typeof createServer>;
  let targetUrl = "";
  const replicas: Replica[] = [];
  const applies = new Map<string, number>();
  const phaseCounts: Record<Phase, number> = { rendering: 0, "pre-apply": 0, apply: 0, tracking: 0 };
  /** Kill the replica that reports the n-th event of a phase. */
  const plan: { phase: Phase; nth: number; killedAt?: number; pid?: number; deployment?: string }[] = [
    { phase: "rendering", nth: 5 },
    { phase: "pre-apply", nth: 25 },
    { phase: "apply", nth: 45 },
    { phase: "tracking", nth: 70 },
  ];
  let restarting = Promise.resolve();

  function kill(phase: Phase, pid: number, deployment: string): boolean {
    phaseCounts[phase]++;
    const step = plan.find((p) => p.phase === phase && p.nth === phaseCounts[phase]);
    const replica = replicas.find(
      (r) => r.pid === pid && r.child.exitCode === null && r.child.signalCode === null,
    );
    if (step === undefined || replica === undefined) return false;
    process.kill(pid, "SIGKILL");
    Object.assign(step, { killedAt: Date.now(), pid, deployment });
    // Started again as an orchestrator would, a moment later.
    restarting = restarting.then(async () => {
      await sleep(200);
      replicas.push(await startReplica(dbUrl, targetUrl));
    });
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = "";
    for await (const chunk of req) body += chunk;
    const { id, pid, phase } = JSON.parse(body) as { id: string; pid: number; phase?: Phase };
    const answer = (value: unknown): void => {
      res.end(JSON.stringify(value));
    };
    if (req.url === "/probe") return answer({ applied: (applies.get(id) ?? 0) > 0 });
    if (req.url === "/apply") {
      // Applied when received, like an API server that finishes a request its client gave up on.
      applies.set(id, (applies.get(id) ?? 0) + 1);
      if (kill("apply", pid, id)) return; // the replica dies before it hears back
      await sleep(20 + Math.random() * 60);
      return answer({});
    }
    if (phase !== undefined && kill(phase, pid, id)) return;
    return answer({});
  }

  before(async () => {
    admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    target = createServer((req, res) => {
      handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
    targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
    store = await openPostgresStore(dbUrl);
  });
  after(async () => {
    for (const r of replicas)
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
    await store?.close();
    target?.close();
    await sleep(200);
    await admin.query(`drop database if exists ${dbName} with (force)`).catch(() => {});
    await admin.end();
  });

  test("100 deployments, 4 replicas killed: each ends available once and was applied once", async () => {
    for (let i = 0; i < 3; i++) replicas.push(await startReplica(dbUrl, targetUrl));
    await store.createTeam(systemActor, "payments");
    const targets = (await store.listTargets({ limit: 10 })).items.map((t) => t.name).slice(0, 2);
    assert.equal(targets.length, 2, "the platform's channels are the targets");
    const requests: { app: string; release: string; target: string }[] = [];
    for (let a = 0; a < total / 2; a++) {
      const app = `app-${a}`;
      await store.createApp(systemActor, { name: app, teamName: "payments", description: "" });
      const { release } = await store.createRelease(systemActor, {
        appName: app,
        commitSha: (a + 1).toString(16).padStart(7, "0"),
        imageDigest: `sha256:${"a".repeat(64)}`,
        specHash: "1".repeat(64),
        secretsHash: "2".repeat(64),
        commitTime: null,
      });
      for (const t of targets) requests.push({ app, release: release.id, target: t });
    }

    const started = Date.now();
    const ids: string[] = [];
    // Queued through the store: a request in flight to a replica killed mid-answer would leave the
    // test unsure whether it was queued (the API's own enqueue is tested in cli-watch.test.ts).
    for (const r of requests) {
      ids.push(
        (await store.enqueueDeployment(systemActor, { releaseId: r.release, targetName: r.target })).id,
      );
    }

    const settled = new Set(["available", "failed", "superseded", "rolled-back"]);
    const deadline = Date.now() + 120_000;
    let statuses: string[] = [];
    for (;;) {
      statuses = await Promise.all(ids.map(async (id) => (await store.getDeployment(id)).status));
      if (statuses.every((s) => settled.has(s))) break;
      if (Date.now() > deadline) {
        assert.fail(
          `not settled after 120 s: ${statuses.filter((s) => !settled.has(s)).length} left\n${replicas.map((r) => r.log()).join("\n")}`,
        );
      }
      await sleep(100);
    }
    const elapsed = (Date.now() - started) / 1000;
    await restarting;

    assert.deepEqual(
      plan.map((p) => [p.phase, p.killedAt !== undefined]),
      plan.map((p) => [p.phase, true]),
      "every planned kill happened",
    );
    assert.deepEqual(
      statuses.filter((s) => s !== "available"),
      [],
      "every deployment available",
    );
    const twice = ids.filter((id) => applies.get(id) !== 1).map((id) => `${id}: ${applies.get(id) ?? 0}`);
    assert.deepEqual(twice, [], "the target saw exactly one apply of each deployment");
    for (const id of ids) {
      const finals = (await store.deploymentEvents(id)).filter((e) => settled.has(e.status));
      assert.equal(finals.length, 1, `${id}: one final event`);
    }

    // Takeover: from each kill to the successor's takeover event of the deployment it was on.
    const takeovers: number[] = [];
    for (const step of plan) {
      const events = await store.deploymentEvents(step.deployment ?? "");
      const taken = events.find(
        (e) => /^taken over by/.test(e.message) && Date.parse(e.at) >= (step.killedAt ?? 0),
      );
      assert.ok(taken, `${step.deployment} (killed at ${step.phase}) was taken over`);
      takeovers.push(Date.parse(taken.at) - (step.killedAt ?? 0));
    }
    const figures = {
      deployments: total,
      replicas: 3,
      kills: plan.length,
      seconds: elapsed,
      takeover_ms: takeovers,
      lease_ms: leaseMs,
    };
    process.stderr.write(`exactly-once figures: ${JSON.stringify(figures)}\n`);
    for (const t of takeovers)
      assert.ok(t <= leaseMs + 1_500, `takeover within the lease and a poll: ${t} ms`);
  });
});
