/**
 * The engine with fake executors on both databases: stages recorded in order, one deployment in
 * flight per app and target, deadlines that fail a job once, a replica cut off from the database
 * taken over by another, which learns that an apply may have happened.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ErrorCode, SlipwayError } from "../src/core/errors.ts";
import { Engine } from "../src/engine/engine.ts";
import type { EngineJob, Executor } from "../src/engine/executor.ts";
import type { Actor, Store } from "../src/store/store.ts";
import { createTestDatabase, type DatabaseKind, type TestDatabase } from "./support/databases.ts";

const alice: Actor = { userId: "u-alice", subject: "test:alice" };
const hex = (c: string) => c.repeat(64);
const quiet = () => {};

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Walks the stages, applying through `apply` unless told an earlier claim may have. */
function walking(apply: (job: EngineJob) => Promise<void> = async () => {}): Executor {
  return async (job) => {
    await job.record("rendering", "rendering");
    await job.record("applying", "applying 3 objects");
    await apply(job);
    await job.record("progressing", "rolling out");
    return { status: "available", message: "3/3 ready" };
  };
}

for (const kind of ["sqlite", "postgres"] as DatabaseKind[]) {
  describe(`engine on ${kind}`, () => {
    let database: TestDatabase;
    let store: Store;
    let release: string;

    before(async () => {
      database = await createTestDatabase(kind);
      store = await database.open();
      await store.createTeam(alice, "payments");
      for (const name of ["develop", "staging", "stable", "beta"]) {
        await store.createTarget(alice, { name, kind: "channel" });
      }
      await store.createApp(alice, { name: "pay", teamName: "payments", description: "" });
      release = (
        await store.createRelease(alice, {
          appName: "pay",
          commitSha: "1234567",
          imageDigest: `sha256:${hex("a")}`,
          specHash: hex("1"),
          secretsHash: hex("2"),
          commitTime: null,
        })
      ).release.id;
    });
    after(async () => {
      try {
        await store?.close();
      } finally {
        await database?.dispose();
      }
    });

    const enqueue = (target: string) =>
      store.enqueueDeployment(alice, { releaseId: release, targetName: target });
    const statusOf = async (id: string) => (await store.getDeployment(id)).status;

    test("woken after a deployment is queued, the engine takes it up at once instead of at its next poll", async () => {
      const engine = new Engine({ store, executor: walking(), pollMs: 60_000, log: quiet });
      engine.start();
      try {
        // The first poll (at start) finds nothing; the next would be a minute away.
        await sleep(300);
        const d = await enqueue("beta");
        engine.wake();
        await until("available", async () => (await statusOf(d.id)) === "available", 5_000);
      } finally {
        await engine.stop();
      }
    });

    test("a queued deployment is run through every stage to available, each with its time and message", async () => {
      const engine = new Engine({ store, executor: walking(), pollMs: 20, log: quiet });
      engine.start();
      try {
        const d = await enqueue("develop");
        await until("available", async () => (await statusOf(d.id)) === "available");
        const events = await store.deploymentEvents(d.id);
        assert.deepEqual(
          events.map((e) => [e.status, e.message]),
          [
            ["pending", "queued"],
            ["rendering", "rendering"],
            ["applying", "applying 3 objects"],
            ["progressing", "rolling out"],
            ["available", "3/3 ready"],
          ],
        );
        assert.ok(events.every((e, i) => i === 0 || e.at >= (events[i - 1]?.at ?? "")));
        assert.equal((await store.getJob(d.id))?.state, "done");
      } finally {
        await engine.stop();
      }
    });

    test("one in flight per app and target: the next waits, one it makes obsolete is superseded", async () => {
      const gates: (() => void)[] = [];
      const started: string[] = [];
      const executor = walking(async (job) => {
        started.push(job.deployment.id);
        await new Promise<void>((resolve) => gates.push(resolve));
      });
      const engine = new Engine({ store, executor, pollMs: 20, log: quiet });
      engine.start();
      try {
        const first = await enqueue("staging");
        await until("first applying", async () => started.length === 1);
        const second = await enqueue("staging");
        const third = await enqueue("staging");
        await sleep(150);
        assert.deepEqual(started, [first.id], "nothing else runs on staging meanwhile");
        assert.equal(await statusOf(second.id), "superseded");
        assert.equal(await statusOf(third.id), "pending");
        gates.shift()?.();
        await until("third applying", async () => started.length === 2);
        assert.equal(started[1], third.id);
        gates.shift()?.();
        await until("third available", async () => (await statusOf(third.id)) === "available");
        assert.equal(await statusOf(first.id), "superseded", "replaced by the third on the target");
      } finally {
        for (const open of gates) open();
        await engine.stop();
      }
    });

    test("past its deadline a job fails with the stage it was in, and is not run again", async () => {
      let calls = 0;
      const hanging: Executor = async (job) => {
        calls++;
        await job.record("rendering", "rendering");
        await job.record("applying", "applying 3 objects to the cluster");
        await new Promise(() => {}); // a frozen API server: never answers, ignores the signal
        throw new Error("unreachable");
      };
      const engine = new Engine({
        store,
        executor: hanging,
        pollMs: 20,
        timeoutMs: 300,
        leaseMs: 200,
        log: quiet,
      });
      engine.start();
      try {
        const d = await enqueue("stable");
        await until("failed", async () => (await statusOf(d.id)) === "failed");
        const last = (await store.deploymentEvents(d.id)).at(-1);
        assert.match(
          last?.message ?? "",
          /^deadline .* passed \(timeout 300ms\) while applying: applying 3 objects to the cluster; the apply may have reached the target, and it is not applied again/,
        );
        await sleep(600);
        assert.equal(calls, 1, "the fault clears; nobody runs it again");
        assert.equal((await store.getJob(d.id))?.state, "done");
      } finally {
        await engine.stop();
      }
    });

    test("a replica cut off from the database is taken over after its lease; its late writes are refused", async () => {
      let cut = false;
      // Replica A's view of the store: it stops answering at `cut` (a partition, a frozen process).
      const partitioned = new Proxy(store, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) =>
            cut
              ? Promise.reject(new SlipwayError(ErrorCode.Unavailable, "connection lost"))
              : (value as (...a: unknown[]) => unknown).apply(target, args);
        },
      });
      const seenByB: boolean[] = [];
      let aRecordedLate: unknown;
      const a = new Engine({
        store: partitioned,
        owner: "replica-a",
        executor: walking(async (job) => {
          cut = true;
          await sleep(700);
          cut = false;
          aRecordedLate = await job.record("progressing", "late").then(
            () => "written",
            (error: unknown) => error,
          );
          await new Promise(() => {});
        }),
        pollMs: 20,
        leaseMs: 300,
        log: quiet,
      });
      const b = new Engine({
        store,
        owner: "replica-b",
        executor: walking(async (job) => {
          seenByB.push(job.applyMayHaveHappened);
        }),
        pollMs: 20,
        leaseMs: 300,
        log: quiet,
      });
      a.start();
      try {
        const d = await enqueue("beta");
        await until("A applying", async () => cut);
        a.stop().catch(() => {});
        b.start();
        await until("available via B", async () => (await statusOf(d.id)) === "available");
        assert.deepEqual(seenByB, [true], "B knows A may have applied");
        const messages = (await store.deploymentEvents(d.id)).map((e) => e.message);
        assert.ok(messages.some((m) => /taken over by replica-b: the lease of replica-a ended/.test(m)));
        await until("A's late write", async () => aRecordedLate !== undefined);
        assert.notEqual(aRecordedLate, "written");
        assert.ok(!messages.includes("late"));
      } finally {
        await b.stop();
      }
    });

    test("a database restart under a running job: the job waits it out and ends available, run once", async () => {
      let down = false;
      // The database away for a moment, as during a PostgreSQL restart: every call fails.
      const restarting = new Proxy(store, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) =>
            down
              ? Promise.reject(
                  Object.assign(new Error("Connection terminated unexpectedly"), { code: "57P01" }),
                )
              : (value as (...a: unknown[]) => unknown).apply(target, args);
        },
      });
      let runs = 0;
      const engine = new Engine({
        store: restarting,
        executor: walking(async () => {
          runs++;
          down = true;
          setTimeout(() => {
            down = false;
          }, 400);
        }),
        pollMs: 20,
        leaseMs: 2_000,
        log: quiet,
      });
      engine.start();
      try {
        const d = await enqueue("develop");
        await until("available", async () => (await statusOf(d.id)) === "available");
        assert.equal(runs, 1);
        assert.deepEqual(
          (await store.deploymentEvents(d.id)).map((e) => e.status),
          ["pending", "rendering", "applying", "progressing", "available"],
        );
      } finally {
        await engine.stop();
      }
    });

    test("an executor's error is the deployment's failure, with its message", async () => {
      const engine = new Engine({
        store,
        executor: async (job) => {
          await job.record("rendering", "rendering");
          throw new SlipwayError(ErrorCode.PolicyBlocked, "policy blocks 1 object: no-latest-tag");
        },
        pollMs: 20,
        log: quiet,
      });
      engine.start();
      try {
        const d = await enqueue("develop");
        await until("failed", async () => (await statusOf(d.id)) === "failed");
        assert.equal(
          (await store.deploymentEvents(d.id)).at(-1)?.message,
          "policy blocks 1 object: no-latest-tag",
        );
      } finally {
        await engine.stop();
      }
    });
  });
}
