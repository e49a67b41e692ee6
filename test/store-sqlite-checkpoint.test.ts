/**
 * The SQLite store checkpoints its WAL in a thread of its own (`node-sqlite.ts`), not in the commit
 * that happens to fill it: what a server writes still reaches the database file, and closing the
 * store ends that thread — even one that died, whose work the connection then does itself.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { NodeSqliteDatabase } from "../src/store/node-sqlite.ts";
import { openSqliteStore } from "../src/store/open.ts";
import { systemActor } from "../src/store/store.ts";

test("what the store writes is checkpointed into the database file, and survives a reopen", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-checkpoint-"));
  const file = join(dir, "slipway.db");
  try {
    const store = await openSqliteStore(file);
    await store.createTeam(systemActor, "payments");
    await store.createApp(systemActor, { name: "web", teamName: "payments", description: "" });
    const before = statSync(file).size;
    // 8 MB of snapshots: over 2000 pages, twice what SQLite keeps in the WAL before a checkpoint.
    for (let i = 0; i < 8; i++) {
      await store.createRelease(systemActor, {
        appName: "web",
        commitSha: (0x1000000 + i).toString(16),
        imageDigest: `sha256:${String(i).repeat(64)}`,
        specHash: "a".repeat(64),
        secretsHash: "b".repeat(64),
        commitTime: null,
        files: [{ path: "slipway.yaml", content: randomBytes(1 << 20) }],
      });
    }
    const started = performance.now();
    while (statSync(file).size < before + 8 * (1 << 20)) {
      assert.ok(
        performance.now() - started < 5_000,
        `the database file is still ${statSync(file).size} bytes`,
      );
      await sleep(50);
    }
    await store.close();

    const reopened = await openSqliteStore(file);
    try {
      assert.equal((await reopened.listReleases("web", { limit: 20 })).items.length, 8);
    } finally {
      await reopened.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a checkpoint thread that died leaves the commits to checkpoint, and closing still returns", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-checkpoint-"));
  const moved = `${dir}-moved`;
  try {
    const database = new NodeSqliteDatabase(join(dir, "slipway.db"));
    database.prepare("create table filler (data blob)").run([]);
    // The thread starts after this returns and finds no file to open (a data directory moved or
    // removed under the server): it dies, while this connection keeps its files open.
    renameSync(dir, moved);
    const file = join(moved, "slipway.db");
    const insert = database.prepare("insert into filler (data) values (?)");
    const started = performance.now();
    // Written until a commit checkpoints: the connection does it again once the thread is gone.
    while (statSync(file).size < 4 << 20) {
      assert.ok(
        performance.now() - started < 5_000,
        `the database file is still ${statSync(file).size} bytes`,
      );
      insert.run([randomBytes(1 << 20)]);
      await sleep(20);
    }
    database.close();
    const closing = database.stopCheckpoints().then(() => "closed");
    assert.equal(await Promise.race([closing, sleep(3_000, "still waiting")]), "closed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(moved, { recursive: true, force: true });
  }
});
