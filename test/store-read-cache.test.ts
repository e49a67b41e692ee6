/**
 * The server's read cache (`CachedStore`) on both databases: it answers repeated reads without
 * asking the database, yet never serves what another connection, process or replica has since
 * changed. The contract suite also runs whole behind it (store-*-cached.test.ts).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CachedStore } from "../src/store/cached-store.ts";
import type { SqlStore } from "../src/store/sql-store.ts";
import { type Actor, type Store, systemActor } from "../src/store/store.ts";
import { createTestDatabase, type DatabaseKind, type TestDatabase } from "./support/databases.ts";
import { rawExec } from "./support/raw-sql.ts";

const actor: Actor = systemActor;

/** The real store, counting the queries that reach it. */
function counting(store: SqlStore): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      if (property === "stateVersion" || property === "identityVersion" || property === "catalogVersion") {
        return value.bind(target);
      }
      return (...args: unknown[]) => {
        calls.set(String(property), (calls.get(String(property)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

/** Reads until `check` holds, for changes that reach this process asynchronously. */
async function eventually(read: () => Promise<boolean>, what: string): Promise<number> {
  const started = performance.now();
  while (!(await read())) {
    if (performance.now() - started > 3_000) assert.fail(`not seen within 3 s: ${what}`);
    await sleep(5);
  }
  return performance.now() - started;
}

/** Waits until the change notices of earlier writes have arrived (PostgreSQL's come after commit). */
async function settled(store: Store): Promise<void> {
  let last = store.stateVersion();
  for (;;) {
    await sleep(50);
    const now = store.stateVersion();
    if (now === last) return;
    last = now;
  }
}

for (const kind of ["sqlite", "postgres"] as DatabaseKind[]) {
  describe(`read cache on ${kind}`, () => {
    let database: TestDatabase;
    let inner: SqlStore;
    let other: SqlStore;
    let calls: Map<string, number>;
    let cached: CachedStore;

    before(async () => {
      database = await createTestDatabase(kind);
      inner = await database.open();
      // A second connection: another server replica, or a CLI on the same SQLite file.
      other = await database.open();
      const c = counting(inner);
      calls = c.calls;
      cached = new CachedStore(c.store);
      await inner.createTeam(actor, "payments");
      await inner.createApp(actor, { name: "web", teamName: "payments", description: "v1" });
    });
    after(async () => {
      try {
        await other?.close();
        await cached?.close();
      } finally {
        await database?.dispose();
      }
    });

    test("repeated and concurrent reads reach the database once", async () => {
      await settled(cached);
      calls.clear();
      const apps = await Promise.all(Array.from({ length: 50 }, () => cached.getApp("web")));
      assert.ok(apps.every((a) => a.description === "v1"));
      await cached.getApp("web");
      await cached.listApps({}, { limit: 10 });
      await cached.listApps({}, { limit: 10 });
      assert.equal(calls.get("getApp"), 1);
      assert.equal(calls.get("listApps"), 1);
    });

    test("DORA's release reads are not kept: each request asks up to its own instant, and one holds every commit", async () => {
      await settled(cached);
      calls.clear();
      const filter = { teamName: "payments", until: new Date().toISOString() };
      await cached.listDeliveryReleases(filter);
      await cached.listDeliveryReleases(filter);
      assert.equal(calls.get("listDeliveryReleases"), 2);
    });

    test("cached answers are frozen: one caller cannot change another's", async () => {
      const app = await cached.getApp("web");
      assert.throws(() => {
        (app as { description: string }).description = "changed";
      }, TypeError);
      assert.equal((await cached.getApp("web")).description, "v1");
    });

    test("a write through the cache is read back at once", async () => {
      const before = await cached.getApp("web");
      await cached.updateApp(actor, "web", { expectedVersion: before.version, description: "own write" });
      assert.equal((await cached.getApp("web")).description, "own write");
    });

    test("a write by another connection is seen by the next reads", async () => {
      const seen = await cached.getApp("web");
      await other.updateApp(actor, "web", { expectedVersion: seen.version, description: "other writer" });
      const delay = await eventually(
        async () => (await cached.getApp("web")).description === "other writer",
        "another connection's update",
      );
      // SQLite sees another connection's commit within a millisecond; PostgreSQL once its change
      // notice arrives (about as long). The bound leaves room for a loaded CI machine yet is well
      // under the heartbeat's 1 s, so only a pushed notice can meet it.
      assert.ok(delay < 500, `took ${delay} ms`);
      await other.createApp(actor, { name: "api", teamName: "payments", description: "" });
      await eventually(
        async () => (await cached.listApps({}, { limit: 10 })).items.some((a) => a.name === "api"),
        "another connection's new app in the list",
      );
    });

    test("a change made with plain SQL behind Slipway's back is seen too", async () => {
      await cached.getApp("web");
      await rawExec(database, "update apps set description = 'psql' where name = 'web'");
      await eventually(async () => (await cached.getApp("web")).description === "psql", "a raw SQL update");
    });

    test("teams, apps and targets stay cached while deployments move, and are read again after any change to them", async () => {
      await cached.createTarget(actor, { name: "staging", kind: "channel" });
      const app = await cached.getApp("web");
      const release = await cached.createRelease(actor, {
        appName: "web",
        commitSha: "c0ffee1",
        imageDigest: `sha256:${"d".repeat(64)}`,
        specHash: "a".repeat(64),
        secretsHash: "b".repeat(64),
        commitTime: null,
      });
      await settled(cached);
      const catalogReads = async () => {
        await cached.getApp("web");
        await cached.getTarget("staging");
        await cached.listApps({}, { limit: 10 });
        await cached.getTeam("payments");
      };
      await catalogReads();
      calls.clear();
      for (let i = 0; i < 3; i++) {
        const deployment = await cached.startDeployment(actor, {
          releaseId: release.release.id,
          targetName: "staging",
        });
        await cached.recordDeploymentStatus(actor, {
          deploymentId: deployment.id,
          status: "rendering",
          message: "",
        });
        await catalogReads();
      }
      assert.equal(calls.get("recordDeploymentStatus"), 3);
      for (const read of ["getApp", "getTarget", "listApps", "getTeam"]) {
        assert.equal(calls.get(read), undefined, `deployments moving leave ${read} cached`);
      }

      // Each is dropped by a change to it: by this store at once, by another connection or plain SQL once seen.
      await cached.updateApp(actor, "web", { expectedVersion: app.version, description: "own change" });
      assert.equal((await cached.getApp("web")).description, "own change");
      const changes: [string, () => Promise<unknown>, () => Promise<boolean>][] = [
        [
          "another connection's new target",
          () => other.createTarget(actor, { name: "production", kind: "channel" }),
          async () => (await cached.listTargets({ limit: 10 })).items.some((t) => t.name === "production"),
        ],
        [
          "another connection's new team",
          () => other.createTeam(actor, "search"),
          async () => (await cached.listTeams({ limit: 10 })).items.some((t) => t.name === "search"),
        ],
        [
          "a team renamed with plain SQL",
          () => rawExec(database, "update teams set name = 'checkout' where name = 'payments'"),
          async () => (await cached.getApp("web")).teamName === "checkout",
        ],
        [
          "a target changed with plain SQL",
          () => rawExec(database, "update targets set kind = 'preview' where name = 'staging'"),
          async () => (await cached.getTarget("staging")).kind === "preview",
        ],
      ];
      for (const [what, change, seen] of changes) {
        await cached.listTargets({ limit: 10 });
        await cached.listTeams({ limit: 10 });
        await cached.getApp("web");
        await cached.getTarget("staging");
        await change();
        await eventually(seen, what);
      }
      await rawExec(database, "update teams set name = 'payments' where name = 'checkout'");
      await eventually(
        async () => (await cached.getApp("web")).teamName === "payments",
        "the team's name back",
      );
    });

    test("who a token belongs to keeps its version while deployments move, and loses it to any identity change", async () => {
      const user = await inner.ensureUser(actor, { subject: "identity-user", displayName: "I" });
      await settled(cached);
      const identity = cached.identityVersion();
      const state = cached.stateVersion();
      assert.notEqual(identity, undefined);
      // Changes to apps (as deployments' would) by this store and by another connection.
      let seen = await cached.getApp("web");
      await cached.updateApp(actor, "web", { expectedVersion: seen.version, description: "own" });
      seen = await cached.getApp("web");
      await other.updateApp(actor, "web", { expectedVersion: seen.version, description: "other" });
      await eventually(async () => (await cached.getApp("web")).description === "other", "the other update");
      await settled(cached);
      assert.notEqual(cached.stateVersion(), state);
      if (kind === "postgres") {
        assert.equal(cached.identityVersion(), identity, "app changes leave the identity version alone");
      }
      // SQLite cannot tell which tables another connection changed; its own writes it can.
      const mark = cached.identityVersion();
      await cached.updateApp(actor, "web", {
        expectedVersion: (await cached.getApp("web")).version,
        description: "x",
      });
      assert.equal(cached.identityVersion(), mark, "an own app change leaves the identity version alone");

      // An own identity write moves it at once; another connection's, or plain SQL, once seen.
      let before = cached.identityVersion();
      await cached.setMembership(actor, "payments", user.id, "viewer");
      assert.notEqual(cached.identityVersion(), before, "an own membership change, at once");
      const changes: [string, () => Promise<unknown>][] = [
        ["another connection's role change", () => other.setMembership(actor, "payments", user.id, "admin")],
        ["another connection's new team", () => other.createTeam(actor, "identity-team")],
        [
          "another connection's new token",
          () =>
            other.createApiToken(actor, {
              userId: user.id,
              name: "t",
              secretHash: "c".repeat(64),
              expiresAt: null,
            }),
        ],
        [
          "a token revoked with plain SQL",
          () => rawExec(database, "update api_tokens set revoked_at = 'now'"),
        ],
        ["a user changed with plain SQL", () => rawExec(database, "update users set display_name = 'psql'")],
      ];
      for (const [what, change] of changes) {
        await settled(cached);
        before = cached.identityVersion();
        await change();
        await eventually(async () => cached.identityVersion() !== before, what);
      }
    });

    if (kind === "postgres") {
      test("a dropped change feed never leaves a stale answer behind, and caching resumes", async () => {
        const schema = database.schema ?? "";
        await cached.getApp("web");
        const before = cached.stateVersion();
        assert.notEqual(before, undefined);
        await rawExec(
          database,
          `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'slipway change feed (${schema})'`,
        );
        // The feed notices: the version is unknown (nothing cached) or a new epoch (cache dropped).
        await eventually(async () => cached.stateVersion() !== before, "the feed noticing its loss");
        for (let i = 0; i < 3; i++) {
          const seen = await cached.getApp("web");
          await other.updateApp(actor, "web", { expectedVersion: seen.version, description: `gap ${i}` });
          await eventually(async () => (await cached.getApp("web")).description === `gap ${i}`, `write ${i}`);
        }
        await eventually(async () => cached.stateVersion() !== undefined, "the change feed back");
        // One more write once the feed is back, so the next read must miss whatever was (or was not)
        // cached while it came back: then exactly one query for two reads shows caching resumed,
        // and the write being seen shows the new subscription invalidates.
        const seen = await cached.getApp("web");
        await other.updateApp(actor, "web", { expectedVersion: seen.version, description: "feed back" });
        await eventually(async () => cached.stateVersion() !== undefined, "the change feed still up");
        await settled(cached);
        calls.clear();
        assert.equal((await cached.getApp("web")).description, "feed back");
        await cached.getApp("web");
        assert.equal(calls.get("getApp"), 1, "cached again once the feed is back");
      });
    }
  });
}
