/**
 * History reads on both databases: the timeline of releases and deployments with what each
 * deployment replaced, paged without gaps or repeats, and the channel's records DORA counts from.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { computeDora } from "../src/delivery/dora.ts";
import type { HistoryItem } from "../src/delivery/history.ts";
import type { Actor, Store } from "../src/store/store.ts";
import { createTestDatabase, type DatabaseKind, type TestDatabase } from "./support/databases.ts";

const alice: Actor = { userId: "u-alice", subject: "test:alice" };
const bob: Actor = { userId: "u-bob", subject: "test:bob" };
const minute = 60_000;
const settings = {
  productionChannel: "stable",
  failureStatuses: ["failed", "rolled-back"],
  rollbacksAreFailures: true,
  fixForwardWithinSeconds: 3600,
};

for (const kind of ["sqlite", "postgres"] as DatabaseKind[]) {
  describe(`history on ${kind}`, () => {
    let database: TestDatabase;
    let store: Store;
    let clock = Date.parse("2026-05-01T10:00:00Z");
    const tick = (minutes: number) => {
      clock += minutes * minute;
    };
    const ids: Record<string, string> = {};

    before(async () => {
      database = await createTestDatabase(kind);
      store = await database.open({ now: () => new Date(clock) });
      await store.createTeam(alice, "payments");
      await store.createTeam(alice, "search");
      await store.createApp(alice, { name: "shop", teamName: "payments", description: "" });
      await store.createApp(alice, { name: "other", teamName: "search", description: "" });
      await store.createTarget(alice, { name: "staging", kind: "channel" });
      await store.createTarget(alice, { name: "stable", kind: "channel" });
      const release = async (name: string, commit: string, commitTime: string | null) => {
        tick(1);
        ids[name] = (
          await store.createRelease(alice, {
            appName: "shop",
            commitSha: commit,
            imageDigest: `sha256:${commit[0]!.repeat(64)}`,
            specHash: "1".repeat(64),
            secretsHash: "2".repeat(64),
            commitTime,
          })
        ).release.id;
      };
      const deploy = async (name: string, rel: string, target: string, outcome: "available" | "failed") => {
        tick(1);
        ids[name] = (await store.startDeployment(bob, { releaseId: ids[rel]!, targetName: target })).id;
        tick(2);
        await store.recordDeploymentStatus(bob, {
          deploymentId: ids[name]!,
          status: "progressing",
          message: "",
        });
        tick(3);
        await store.recordDeploymentStatus(bob, { deploymentId: ids[name]!, status: outcome, message: "" });
      };
      await release("r1", "aaaaaaa", "2026-05-01T09:00:00Z");
      await deploy("d1", "r1", "stable", "available");
      await release("r2", "bbbbbbb", "2026-05-01T07:30:00Z");
      await deploy("d2", "r2", "stable", "failed");
      // The rollback: r1 again, over the failed r2.
      await deploy("d3", "r1", "stable", "available");
      await release("r3", "ccccccc", null);
      await deploy("d4", "r3", "staging", "available");
    });
    after(async () => {
      try {
        await store?.close();
      } finally {
        await database?.dispose();
      }
    });

    const all = async (limit: number) => {
      const items: HistoryItem[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listHistory("shop", { limit, ...(cursor ? { cursor } : {}) });
        assert.ok(page.items.length <= limit);
        items.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      return items;
    };

    test("every release and deployment, newest first, with times, who, and what each replaced", async () => {
      const items = await all(200);
      assert.deepEqual(
        items.map((i) => (i.kind === "release" ? i.releaseId : i.deploymentId)),
        ["d4", "r3", "d3", "d2", "r2", "d1", "r1"].map((n) => ids[n]),
      );
      const byId = new Map(items.map((i) => [i.kind === "release" ? i.releaseId : i.deploymentId, i]));
      const d2 = byId.get(ids.d2!);
      const d3 = byId.get(ids.d3!);
      assert.ok(d2?.kind === "deployment" && d3?.kind === "deployment");
      assert.equal(d2.status, "failed");
      assert.equal(d2.availableAt, null);
      assert.equal(d2.failedAt, "2026-05-01T10:14:00.000Z");
      assert.equal(d2.createdBy, "test:bob");
      assert.equal(d2.commitTime, "2026-05-01T07:30:00Z");
      assert.deepEqual(d2.replaces, { deploymentId: ids.d1, sequence: 1, releaseId: ids.r1 });
      // The failed one went nowhere: the rollback replaced what was available, d1.
      assert.deepEqual(d3.replaces, { deploymentId: ids.d1, sequence: 1, releaseId: ids.r1 });
      assert.equal(d3.startedAt, "2026-05-01T10:15:00.000Z");
      assert.equal(d3.availableAt, "2026-05-01T10:20:00.000Z");
      const d4 = byId.get(ids.d4!);
      assert.ok(d4?.kind === "deployment");
      assert.equal(d4.replaces, null, "the first deployment to staging replaced nothing");
      const r3 = byId.get(ids.r3!);
      assert.ok(r3?.kind === "release");
      assert.equal(r3.commitTime, null);
      assert.equal(r3.createdBy, "test:alice");
    });

    test("pages of every size walk the same history without gaps or repeats", async () => {
      const whole = await all(200);
      for (const limit of [1, 2, 3, 5]) assert.deepEqual(await all(limit), whole, `limit ${limit}`);
    });

    test("a missing app is not found; a cursor of another list is refused", async () => {
      await assert.rejects(store.listHistory("absent", { limit: 10 }), { code: "SLIPWAY_E_NOT_FOUND" });
      const deployments = await store.listDeployments({ appName: "shop" }, { limit: 1 });
      await assert.rejects(store.listHistory("shop", { limit: 10, cursor: deployments.nextCursor! }), {
        code: "SLIPWAY_E_INPUT",
      });
      assert.deepEqual((await store.listHistory("other", { limit: 10 })).items, []);
    });

    test("the channel's records give DORA its numbers, by app or by team, as of a time", async () => {
      const until = "2026-05-02T00:00:00.000Z";
      const records = await store.listDeliveryRecords({ appName: "shop", targetName: "stable", until });
      assert.deepEqual(
        records.map((r) => [r.id, r.sequence, r.events.map((e) => e.status)]),
        [
          [ids.d1, 1, ["pending", "progressing", "available", "superseded"]],
          [ids.d2, 2, ["pending", "progressing", "failed"]],
          [ids.d3, 3, ["pending", "progressing", "available"]],
        ].map(([id, seq, statuses]) => [id, seq, statuses]),
      );
      const report = computeDora(records, { from: "2026-05-01T00:00:00Z", to: until }, settings);
      assert.equal(report.changeFailureRate.rate, 1 / 3);
      assert.deepEqual(
        report.reworkRate.deployments.map((r) => [r.deploymentId, r.kind, r.after]),
        [[ids.d3, "rollback", ids.d2]],
      );
      assert.equal(report.recoveryTime.medianSeconds, 6 * 60);
      // Lead time: r1 committed at 09:00, available at 10:07; r2 never arrived.
      assert.deepEqual(
        report.leadTime.changes.map((c) => c.seconds),
        [67 * 60],
      );
      const team = await store.listDeliveryRecords({ teamName: "payments", targetName: "stable", until });
      assert.deepEqual(team, records);
      assert.deepEqual(
        await store.listDeliveryRecords({ teamName: "search", targetName: "stable", until }),
        [],
      );
      // As of 10:16 the rollback had started but was not yet available.
      const earlier = await store.listDeliveryRecords({
        appName: "shop",
        targetName: "stable",
        until: "2026-05-01T10:16:00.000Z",
      });
      assert.deepEqual(
        earlier.map((r) => r.events.map((e) => e.status)),
        [["pending", "progressing", "available"], ["pending", "progressing", "failed"], ["pending"]],
      );
    });
  });
}

test("nothing in the store deletes history: releases, deployments, their events and files", () => {
  const dir = new URL("../src/store/", import.meta.url);
  const kept = ["releases", "deployments", "deploymentEvents", "releaseFiles", "snapshotBlobs"];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
    const text = readFileSync(new URL(file, dir), "utf8");
    for (const table of kept) {
      assert.doesNotMatch(text, new RegExp(`deleteFrom\\(\\s*"${table}`), `${file} deletes from ${table}`);
      const snake = table.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      assert.doesNotMatch(text, new RegExp(`delete\\s+from\\s+${snake}\\b`, "i"), `${file} deletes ${snake}`);
    }
  }
});
