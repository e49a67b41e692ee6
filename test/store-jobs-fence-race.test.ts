/**
 * A claim taken over between a replica's check of its fence and its write (PostgreSQL: the check
 * is a plain read, so another replica's claim can commit right after it) must not let the old
 * claim move the deployment: the stale claimant writes nothing (ADR 0010).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { ErrorCode } from "../src/core/errors.ts";
import type { Actor } from "../src/store/store.ts";
import { createTestDatabase } from "./support/databases.ts";

const alice: Actor = { userId: "u-alice", subject: "test:alice" };

test("postgres: a claim taken over while the old claimant records a status leaves the deployment as it was", async () => {
  const database = await createTestDatabase("postgres");
  const store = await database.open();
  const raw = new pg.Client({
    connectionString: database.location,
    options: `-c search_path=${database.schema}`,
  });
  try {
    await raw.connect();
    await store.createTeam(alice, "payments");
    await store.createTarget(alice, { name: "develop", kind: "channel" });
    await store.createApp(alice, { name: "pay", teamName: "payments", description: "" });
    const { release } = await store.createRelease(alice, {
      appName: "pay",
      commitSha: "1234567",
      imageDigest: `sha256:${"a".repeat(64)}`,
      specHash: "1".repeat(64),
      secretsHash: "2".repeat(64),
      commitTime: null,
    });
    const deployment = await store.enqueueDeployment(alice, { releaseId: release.id, targetName: "develop" });
    const [claimed] = await store.claimJobs({
      owner: "replica-a",
      limit: 1,
      leaseMs: 10_000,
      timeoutMs: 60_000,
    });
    assert.equal(claimed?.job.deploymentId, deployment.id);

    // Replica B's takeover holds the job's row while replica A checks its (still current) fence...
    await raw.query("begin");
    await raw.query("select fence from deployment_jobs where deployment_id = $1 for update", [deployment.id]);
    const late = store.recordJobStatus({
      deploymentId: deployment.id,
      owner: "replica-a",
      fence: claimed?.job.fence ?? 0,
      status: "rendering",
      message: "late",
      leaseMs: 10_000,
    });
    const outcome = late.then(
      () => "recorded",
      (error: unknown) => error,
    );
    const { rows } = await raw.query<{ pid: number }>("select pg_backend_pid() as pid");
    const started = performance.now();
    for (;;) {
      const waiting = await raw.query(
        "select 1 from pg_stat_activity where $1 = any(pg_blocking_pids(pid))",
        [rows[0]?.pid],
      );
      if (waiting.rowCount !== 0) break;
      assert.ok(performance.now() - started < 5_000, "replica A never reached its write");
      await sleep(10);
    }
    // ...and commits its new fence: A's write finds its fence gone.
    await raw.query(
      "update deployment_jobs set fence = fence + 1, lease_owner = 'replica-b' where deployment_id = $1",
      [deployment.id],
    );
    await raw.query("commit");

    const error = await outcome;
    assert.notEqual(error, "recorded", "the stale claim recorded a status");
    assert.equal((error as { code?: unknown }).code, ErrorCode.Conflict, String(error));
    assert.equal((error as { details?: { lost?: unknown } }).details?.lost, true);
    assert.equal((await store.getDeployment(deployment.id)).status, "pending");
    assert.deepEqual(
      (await store.deploymentEvents(deployment.id)).map((e) => e.message),
      ["queued"],
    );
  } finally {
    await raw.end().catch(() => {});
    await store.close();
    await database.dispose();
  }
});
