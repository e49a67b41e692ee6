/**
 * The authenticator's principal cache never outlives a revocation: not even one that commits while
 * a request is in the middle of reading the token's principal. And it outlives changes that are
 * not about identities (apps, deployments).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ErrorCode, isSlipwayError } from "../../core/errors.ts";
import { CachedStore } from "../../store/cached-store.ts";
import { openSqliteStore } from "../../store/open.ts";
import { type Store, systemActor } from "../../store/store.ts";
import { issueToken } from "./api-tokens.ts";
import { authenticator } from "./authenticate.ts";

test("a token revoked while a request reads its principal is refused on the next request", async () => {
  const store = new CachedStore(await openSqliteStore(":memory:"));
  try {
    const user = await store.ensureUser(systemActor, { subject: "u1", displayName: "U" });
    const victim = await issueToken(store, systemActor, { userId: user.id, name: "victim", expiresAt: null });
    const other = await issueToken(store, systemActor, { userId: user.id, name: "other", expiresAt: null });

    // The first membership lookup waits until the test lets it go: request A is then half-way.
    let release: (() => void) | undefined;
    let holdNext = true;
    const held = new Proxy(store as Store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== "function") return value;
        if (property !== "listMemberships") return value.bind(target);
        return async (id: string) => {
          if (holdNext) {
            holdNext = false;
            await new Promise<void>((resolve) => {
              release = resolve;
            });
          }
          return store.listMemberships(id);
        };
      },
    });
    const auth = authenticator({ store: held });

    const requestA = auth.authenticate(`Bearer ${victim.secret}`);
    while (release === undefined) await new Promise((resolve) => setTimeout(resolve, 1));
    await store.revokeApiToken(systemActor, victim.token.id);
    auth.invalidate();
    // Another request at the new version, so the cache now holds that version.
    await auth.authenticate(`Bearer ${other.secret}`);
    release();
    // A began before the revocation: it may pass. What it read must not be remembered.
    await requestA;

    await assert.rejects(auth.authenticate(`Bearer ${victim.secret}`), (error: unknown) => {
      assert.ok(isSlipwayError(error));
      assert.equal(error.code, ErrorCode.Unauthenticated);
      return true;
    });
    // And the cache still works for a token nobody revoked.
    assert.equal((await auth.authenticate(`Bearer ${other.secret}`)).user.id, user.id);
  } finally {
    await store.close();
  }
});

test("a principal is read once while apps and deployments change, and a role change by another connection applies at the next request", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-auth-"));
  const store = new CachedStore(await openSqliteStore(join(dir, "slipway.db")));
  // Another process on the same file: a second server, or the CLI.
  const other = await openSqliteStore(join(dir, "slipway.db"));
  try {
    const user = await store.ensureUser(systemActor, { subject: "u2", displayName: "U" });
    await store.createTeam(systemActor, "payments");
    await store.setMembership(systemActor, "payments", user.id, "viewer");
    const { secret } = await issueToken(store, systemActor, { userId: user.id, name: "t", expiresAt: null });
    let lookups = 0;
    const counted = new Proxy(store as Store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== "function") return value;
        if (property === "listMemberships") lookups++;
        return value.bind(target);
      },
    });
    const auth = authenticator({ store: counted });
    const roles = async () =>
      (await auth.authenticate(`Bearer ${secret}`)).memberships.map((m) => `${m.teamName}:${m.role}`);

    assert.deepEqual(await roles(), ["payments:viewer"]);
    for (let i = 0; i < 5; i++) {
      await store.createApp(systemActor, { name: `app-${i}`, teamName: "payments", description: "" });
      assert.deepEqual(await roles(), ["payments:viewer"]);
    }
    assert.equal(lookups, 1, "app changes do not make the principal be read again");

    await other.setMembership(systemActor, "payments", user.id, "admin");
    // Another process's commit is seen within a millisecond (SQLite's data_version is asked at
    // most once a millisecond): the next request after that reads the new role.
    await sleep(2);
    assert.deepEqual(await roles(), ["payments:admin"]);
  } finally {
    await other.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("while the store cannot tell whether identities changed, no principal comes from the cache", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-auth-"));
  const store = new CachedStore(await openSqliteStore(join(dir, "slipway.db")));
  // Another replica on the same database.
  const other = await openSqliteStore(join(dir, "slipway.db"));
  try {
    const user = await store.ensureUser(systemActor, { subject: "u3", displayName: "U" });
    const { token, secret } = await issueToken(store, systemActor, {
      userId: user.id,
      name: "t",
      expiresAt: null,
    });
    // A PostgreSQL change feed whose notices stopped arriving (connection lost, LISTEN refused).
    let feedUp = true;
    const blind = new Proxy(store as Store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property === "identityVersion") return () => (feedUp ? store.identityVersion() : undefined);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const auth = authenticator({ store: blind });
    assert.equal((await auth.authenticate(`Bearer ${secret}`)).user.id, user.id);

    feedUp = false;
    assert.equal((await auth.authenticate(`Bearer ${secret}`)).user.id, user.id);
    await other.revokeApiToken(systemActor, token.id);
    // The store's own read cache sees another process's commit within a millisecond.
    await sleep(2);
    await assert.rejects(auth.authenticate(`Bearer ${secret}`), (error: unknown) => {
      assert.ok(isSlipwayError(error));
      assert.equal(error.code, ErrorCode.Unauthenticated);
      return true;
    });
  } finally {
    await other.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
