/**
 * A change feed that cannot hear notifications turns the read cache off and says so; it never
 * serves stale reads. Simulated with what a pooler in transaction mode amounts to for LISTEN: a
 * proxy in front of PostgreSQL that passes every query and answer but drops notifications.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { connect, createServer, type Server, type Socket } from "node:net";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CachedStore } from "../src/store/cached-store.ts";
import { openPostgresStore } from "../src/store/open.ts";
import { systemActor } from "../src/store/store.ts";
import { createTestDatabase, postgresUrl } from "./support/databases.ts";

/** Forwards to PostgreSQL, dropping NotificationResponse ('A') messages on the way back. */
function notificationDroppingProxy(upstream: URL): Promise<{ server: Server; port: number }> {
  const server = createServer((client: Socket) => {
    const db = connect(Number(upstream.port || 5432), upstream.hostname);
    client.pipe(db);
    let buffer = Buffer.alloc(0);
    db.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const out: Buffer[] = [];
      while (buffer.length >= 5) {
        const length = buffer.readUInt32BE(1);
        if (buffer.length < 1 + length) break;
        const message = buffer.subarray(0, 1 + length);
        if (message[0] !== 0x41) out.push(message);
        buffer = buffer.subarray(1 + length);
      }
      if (out.length > 0) client.write(Buffer.concat(out));
    });
    const close = () => {
      client.destroy();
      db.destroy();
    };
    db.on("error", close);
    client.on("error", close);
    db.on("close", close);
    client.on("close", close);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as AddressInfo).port })),
  );
}

test("LISTEN that never hears back: the read cache is off, logged, and reads are never stale", async () => {
  const database = await createTestDatabase("postgres");
  const upstream = new URL(postgresUrl);
  const proxy = await notificationDroppingProxy(upstream);
  const viaProxy = new URL(postgresUrl);
  viaProxy.host = `127.0.0.1:${proxy.port}`;
  const logs: string[] = [];
  const direct = await database.open();
  assert.ok(database.schema);
  const pooled = await openPostgresStore(viaProxy.toString(), {
    schema: database.schema,
    log: (line) => {
      logs.push(line);
    },
  });
  const cached = new CachedStore(pooled);
  try {
    await direct.createTeam(systemActor, "alpha");
    assert.deepEqual(
      (await cached.listTeams({ limit: 10 })).items.map((t) => t.name),
      ["alpha"],
    );
    // Another replica (a direct connection) writes; this one must see it on its next read.
    await direct.createTeam(systemActor, "beta");
    assert.deepEqual(
      (await cached.listTeams({ limit: 10 })).items.map((t) => t.name),
      ["alpha", "beta"],
    );
    await sleep(2_700);
    assert.equal(cached.stateVersion(), undefined, "no version: nothing is cached");
    await direct.createTeam(systemActor, "gamma");
    assert.deepEqual(
      (await cached.listTeams({ limit: 10 })).items.map((t) => t.name),
      ["alpha", "beta", "gamma"],
    );
    assert.equal(logs.filter((l) => l.startsWith("read cache off")).length, 1, logs.join("\n"));
    assert.match(logs[0] ?? "", /change notices are not arriving.*pooler in transaction mode/);
    // The same database without the proxy: notices flow and the cache is on.
    assert.notEqual(direct.stateVersion(), undefined);
  } finally {
    await pooled.close();
    await direct.close();
    proxy.server.close();
    await database.dispose();
  }
});
