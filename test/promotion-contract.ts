/**
 * The store's side of promotion and rollback, one body for both databases
 * (`store-promotion.test.ts`): causes recorded with their deployment (and refusing it as a whole),
 * rejections with reasons beside approvals, and the line stop with its audit trail.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ErrorCode } from "../src/core/errors.ts";
import { CachedStore } from "../src/store/cached-store.ts";
import type { Actor, Store } from "../src/store/store.ts";
import { createTestDatabase, type DatabaseKind, type TestDatabase } from "./support/databases.ts";

const alice: Actor = { userId: "u-alice", subject: "test:alice" };
const bob: Actor = { userId: "u-bob", subject: "test:bob" };
const hex = (c: string) => c.repeat(64);

function rejectsWith(code: string, pattern?: RegExp) {
  return (error: unknown) => {
    assert.equal((error as { code?: unknown }).code, code, String(error));
    if (pattern) assert.match(String((error as Error).message), pattern);
    return true;
  };
}

export function promotionContract(kind: DatabaseKind): void {
  describe(`promotion records on ${kind}`, () => {
    let database: TestDatabase;
    let store: Store;
    let r1 = "";
    let r2 = "";

    before(async () => {
      database = await createTestDatabase(kind);
      store = new CachedStore(await database.open());
      await store.createTeam(alice, "payments");
      await store.createApp(alice, { name: "shop", teamName: "payments", description: "" });
      for (const name of ["staging", "stable"]) await store.createTarget(alice, { name, kind: "channel" });
      const release = async (c: string) =>
        (
          await store.createRelease(alice, {
            appName: "shop",
            commitSha: c.repeat(7),
            imageDigest: `sha256:${hex(c)}`,
            specHash: hex("1"),
            secretsHash: hex("2"),
            commitTime: null,
          })
        ).release.id;
      r1 = await release("a");
      r2 = await release("b");
    });
    after(async () => {
      try {
        await store?.close();
      } finally {
        await database?.dispose();
      }
    });

    test("a cause is recorded with its deployment; an exclusive one is refused while another runs, naming it, and leaves nothing", async () => {
      const first = await store.enqueueDeployment(bob, {
        releaseId: r1,
        targetName: "stable",
        cause: { kind: "promotion", fromTarget: "staging", exclusive: true },
      });
      const before = (await store.listDeployments({ appName: "shop" }, { limit: 50 })).items.length;
      await assert.rejects(
        store.enqueueDeployment(bob, {
          releaseId: r2,
          targetName: "stable",
          cause: { kind: "promotion", fromTarget: "staging", exclusive: true },
        }),
        rejectsWith(ErrorCode.Conflict, new RegExp(`already under way: ${first.id} \\(#1, pending\\)`)),
      );
      assert.equal((await store.listDeployments({ appName: "shop" }, { limit: 50 })).items.length, before);
      // A rollback is not exclusive: it queues behind, superseding what waits.
      const rollback = await store.enqueueDeployment(bob, {
        releaseId: r1,
        targetName: "stable",
        cause: { kind: "rollback", rollbackOf: first.id, reason: "errors" },
      });
      const causes = await store.listDeploymentCauses("shop");
      assert.deepEqual(
        causes.map((c) => [c.deploymentId, c.kind, c.fromTarget, c.rollbackOf, c.reason]),
        [
          [first.id, "promotion", "staging", null, null],
          [rollback.id, "rollback", null, first.id, "errors"],
        ],
      );
    });

    test("a rejection is an answer with its reason beside approvals; one answer per person; audited", async () => {
      await store.recordApproval(bob, { releaseId: r2, targetName: "staging" });
      const rejected = await store.rejectRelease(bob, {
        releaseId: r2,
        targetName: "stable",
        reason: "load test red",
      });
      assert.equal(rejected.decision, "rejected");
      await assert.rejects(
        store.rejectRelease(bob, { releaseId: r2, targetName: "staging", reason: "changed my mind" }),
        rejectsWith(ErrorCode.Conflict),
      );
      const answers = await store.listApprovals(r2);
      assert.deepEqual(
        answers.map((a) => [a.targetName, a.approvedBy, a.decision, a.reason]),
        [
          ["staging", "test:bob", "approved", null],
          ["stable", "test:bob", "rejected", "load test red"],
        ],
      );
      const audit = await store.listAudit({ teams: ["payments"] }, { limit: 5 });
      assert.equal(audit.items[0]?.action, "approval.reject");
    });

    test("the line stop: stopped with a reason, replaced, resumed; each change audited", async () => {
      assert.equal(await store.getLineStop(), null);
      assert.equal(await store.setLineStop(alice, null), null, "resuming a running line changes nothing");
      const stop = await store.setLineStop(alice, { reason: "incident 42" });
      assert.equal(stop?.reason, "incident 42");
      assert.equal((await store.getLineStop())?.stoppedBy, "test:alice");
      await store.setLineStop(bob, { reason: "incident 42, still" });
      assert.equal((await store.getLineStop())?.reason, "incident 42, still");
      assert.equal(await store.setLineStop(bob, null), null);
      assert.equal(await store.getLineStop(), null);
      const actions = (await store.listAudit({}, { limit: 10 })).items
        .filter((e) => e.subject === "platform/line")
        .map((e) => `${e.action} ${e.actor}`);
      assert.deepEqual(actions, ["line.resume test:bob", "line.stop test:bob", "line.stop test:alice"]);
    });

    test("administrators stopping the line at once: one lift resumes it", async () => {
      // Each stop reads "no stop in force" before either commits (PostgreSQL, read committed).
      const stops = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          store.setLineStop(i % 2 ? alice : bob, { reason: `incident ${i}` }),
        ),
      );
      assert.ok(stops.every((s) => s !== null));
      assert.ok(await store.getLineStop());
      assert.equal(await store.setLineStop(alice, null), null);
      assert.equal(await store.getLineStop(), null, "the line runs again after one lift");
    });
  });
}
