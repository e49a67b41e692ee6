/**
 * The store's side of the engine, one test body for both databases (`store-jobs.test.ts`):
 * claims, one job in flight per app × target, leases that expire and are taken over, fences that
 * refuse a stale claim's writes, deadlines, and the event sequence a stream resumes from.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ErrorCode } from "../src/core/errors.ts";
import type { Actor, Store } from "../src/store/store.ts";
import { createTestDatabase, type DatabaseKind, type TestDatabase } from "./support/databases.ts";

const alice: Actor = { userId: "u-alice", subject: "test:alice" };
const hex = (c: string) => c.repeat(64);
const lease = { leaseMs: 10_000, timeoutMs: 60_000 };

function conflict(lost: boolean) {
  return (error: unknown) => {
    assert.equal((error as { code?: unknown }).code, ErrorCode.Conflict, String(error));
    if (lost) assert.equal((error as { details?: { lost?: unknown } }).details?.lost, true);
    return true;
  };
}

export function jobContract(kind: DatabaseKind): void {
  describe(`engine jobs on ${kind}`, () => {
    let database: TestDatabase;
    let store: Store;
    let clock = Date.parse("2026-03-01T10:00:00.000Z");
    const tick = (ms: number) => {
      clock += ms;
    };
    let release: string;

    before(async () => {
      database = await createTestDatabase(kind);
      store = await database.open({ now: () => new Date(clock) });
      await store.createTeam(alice, "payments");
      await store.createTeam(alice, "search");
      await store.createTarget(alice, { name: "develop", kind: "channel" });
      await store.createTarget(alice, { name: "stable", kind: "channel" });
      await store.createApp(alice, { name: "pay", teamName: "payments", description: "" });
      await store.createApp(alice, { name: "find", teamName: "search", description: "" });
      const made = await store.createRelease(alice, {
        appName: "pay",
        commitSha: "1234567",
        imageDigest: `sha256:${hex("a")}`,
        specHash: hex("1"),
        secretsHash: hex("2"),
        commitTime: null,
      });
      release = made.release.id;
    });
    after(async () => {
      try {
        await store?.close();
      } finally {
        await database?.dispose();
      }
    });

    const claim = (owner: string, limit = 10) => store.claimJobs({ owner, limit, ...lease });
    const write = (owner: string, fence: number, deploymentId: string) => ({ owner, fence, deploymentId });

    test("one job in flight per app and target; a newer one waits; a queued one it obsoletes is superseded", async () => {
      const d1 = await store.enqueueDeployment(alice, { releaseId: release, targetName: "develop" });
      const [claimed, ...more] = await claim("replica-a");
      assert.equal(more.length, 0);
      assert.equal(claimed?.job.deploymentId, d1.id);
      assert.equal(claimed?.job.fence, 1);
      assert.equal(claimed?.deadlineAt, new Date(clock + lease.timeoutMs).toISOString());
      assert.deepEqual(await claim("replica-b"), [], "a running job with a live lease is nobody else's");

      const d2 = await store.enqueueDeployment(alice, { releaseId: release, targetName: "develop" });
      assert.deepEqual(await claim("replica-b"), [], "d2 waits for d1");
      const d3 = await store.enqueueDeployment(alice, { releaseId: release, targetName: "develop" });
      assert.equal((await store.getDeployment(d2.id)).status, "superseded");
      assert.equal((await store.getJob(d2.id))?.state, "done");
      assert.equal((await store.getDeployment(d1.id)).status, "pending", "the running one is not superseded");

      const other = await store.enqueueDeployment(alice, { releaseId: release, targetName: "stable" });
      assert.deepEqual(
        (await claim("replica-b")).map((c) => c.job.deploymentId),
        [other.id],
        "another target runs beside it",
      );
      const wo = write("replica-b", 1, other.id);
      await store.recordJobStatus({ ...wo, status: "rendering", message: "", leaseMs: lease.leaseMs });
      await store.recordJobStatus({ ...wo, status: "failed", message: "policy", leaseMs: lease.leaseMs });

      const w = write("replica-a", 1, d1.id);
      for (const status of ["rendering", "applying", "progressing", "available"] as const) {
        await store.recordJobStatus({ ...w, status, message: status, leaseMs: lease.leaseMs });
      }
      assert.equal((await store.getJob(d1.id))?.state, "done");
      assert.equal((await store.getJob(d1.id))?.applyFence, 1);
      assert.deepEqual(
        (await claim("replica-b")).map((c) => c.job.deploymentId),
        [d3.id],
      );
      await assert.rejects(
        store.recordDeploymentStatus(alice, { deploymentId: d3.id, status: "failed", message: "" }),
        /being run by the server's engine/,
        "nobody but the engine moves a deployment it runs",
      );
      const w3 = write("replica-b", 1, d3.id);
      for (const status of ["rendering", "applying", "available"] as const) {
        await store.recordJobStatus({ ...w3, status, message: status, leaseMs: lease.leaseMs });
      }
      assert.equal((await store.getDeployment(d1.id)).status, "superseded", "replaced on the target");
      assert.deepEqual(
        (await store.deploymentEvents(d1.id)).map((e) => e.status),
        ["pending", "rendering", "applying", "progressing", "available", "superseded"],
      );
    });

    test("an expired lease is taken over with a new fence; the old claim can write nothing more", async () => {
      const d = await store.enqueueDeployment(alice, { releaseId: release, targetName: "develop" });
      const [a] = await claim("replica-a");
      assert.equal(a?.job.deploymentId, d.id);
      const wa = write("replica-a", a?.job.fence ?? 0, d.id);
      await store.recordJobStatus({ ...wa, status: "rendering", message: "", leaseMs: lease.leaseMs });
      await store.recordJobStatus({ ...wa, status: "applying", message: "", leaseMs: lease.leaseMs });
      tick(5_000);
      assert.equal(await store.renewJobLease({ ...wa, leaseMs: lease.leaseMs }), true);
      tick(9_000);
      assert.deepEqual(await claim("replica-b"), [], "renewed: still replica-a's");
      tick(2_000);
      const [b] = await claim("replica-b");
      assert.equal(b?.takenOverFrom, "replica-a");
      assert.equal(b?.job.fence, (a?.job.fence ?? 0) + 1);
      assert.equal(b?.job.applyFence, a?.job.fence, "the successor knows an apply may have happened");
      assert.equal(b?.deadlineAt, a?.deadlineAt, "the deadline counts from the first claim");
      assert.equal(await store.renewJobLease({ ...wa, leaseMs: lease.leaseMs }), false);
      await assert.rejects(
        store.recordJobStatus({ ...wa, status: "failed", message: "late", leaseMs: lease.leaseMs }),
        conflict(true),
      );
      const events = await store.deploymentEvents(d.id);
      assert.match(events.at(-1)?.message ?? "", /taken over by replica-b: the lease of replica-a ended/);
      const wb = write("replica-b", b?.job.fence ?? 0, d.id);
      await store.recordJobStatus({ ...wb, status: "applying", message: "already applied", leaseMs: 1 });
      await store.recordJobStatus({ ...wb, status: "available", message: "", leaseMs: 1 });
      assert.equal((await store.getDeployment(d.id)).status, "available");
    });

    test("a job past its deadline whose replica stopped is failed, never run again", async () => {
      const d = await store.enqueueDeployment(alice, { releaseId: release, targetName: "stable" });
      const [a] = await claim("replica-a");
      assert.equal(a?.job.deploymentId, d.id);
      await store.recordJobStatus({
        ...write("replica-a", a?.job.fence ?? 0, d.id),
        status: "rendering",
        message: "",
        leaseMs: lease.leaseMs,
      });
      tick(lease.timeoutMs + 1);
      assert.deepEqual(await claim("replica-b"), []);
      const after = await store.getDeployment(d.id);
      assert.equal(after.status, "failed");
      const last = (await store.deploymentEvents(d.id)).at(-1);
      assert.match(
        last?.message ?? "",
        /deadline .* passed while rendering .* nothing was written to the target/,
      );
      assert.equal((await store.getJob(d.id))?.state, "done");
      tick(lease.leaseMs * 10);
      assert.deepEqual(await claim("replica-c"), [], "not run again");
    });

    test("events: one gap-free sequence, resumable after a number, scoped to teams", async () => {
      const findRelease = await store.createRelease(alice, {
        appName: "find",
        commitSha: "abcdef0",
        imageDigest: `sha256:${hex("b")}`,
        specHash: hex("1"),
        secretsHash: hex("2"),
        commitTime: null,
      });
      const theirs = await store.enqueueDeployment(alice, {
        releaseId: findRelease.release.id,
        targetName: "develop",
      });
      assert.deepEqual(await store.listEvents({ after: 0, limit: 10 }), [], "numbered after commit only");
      const numbered = await store.numberEvents();
      assert.ok(numbered > 10);
      assert.equal(await store.numberEvents(), 0, "each event is numbered once");
      const all = await store.listEvents({ after: 0, limit: 1000 });
      assert.deepEqual(
        all.map((e) => e.seq),
        all.map((_, i) => i + 1),
        "1, 2, 3… with no gap",
      );
      assert.equal(await store.lastEventSeq(), all.length);
      const last = all.at(-1);
      assert.equal(last?.deploymentId, theirs.id);
      assert.equal(last?.teamName, "search");
      assert.equal(last?.appName, "find");
      const payments = await store.listEvents({ after: 0, teams: ["payments"], limit: 1000 });
      assert.ok(payments.length > 0 && payments.every((e) => e.teamName === "payments"));
      assert.deepEqual(await store.listEvents({ after: 0, teams: [], limit: 10 }), []);
      const tail = await store.listEvents({ after: all.length - 2, limit: 10 });
      assert.deepEqual(
        tail.map((e) => e.seq),
        [all.length - 1, all.length],
      );
      const one = await store.listEvents({ after: 0, deploymentId: theirs.id, limit: 10 });
      assert.deepEqual(
        one.map((e) => [e.status, e.message]),
        [["pending", "queued"]],
      );
    });
  });
}
