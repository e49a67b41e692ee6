/** Starting the server: a start that fails does not swallow the one-time admin token. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { bootstrapAdmin } from "../src/server/bootstrap.ts";
import { startServer } from "../src/server/main.ts";
import { createTestDatabase } from "./support/databases.ts";

test("a start that cannot listen creates no token; the next start prints it, the one after does not", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "slipway-start-"));
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
  const taken = (squatter.address() as { port: number }).port;
  const logs: string[] = [];
  const options = { dataDir, listen: "127.0.0.1:0", demo: false, log: (line: string) => logs.push(line) };
  try {
    await assert.rejects(startServer({ ...options, listen: `127.0.0.1:${taken}` }), (error: unknown) => {
      assert.equal((error as { code?: string }).code, "SLIPWAY_E_UNAVAILABLE");
      assert.match(String(error), /cannot listen on 127\.0\.0\.1:\d+/);
      return true;
    });
    const first = await startServer(options);
    try {
      assert.match(first.adminToken ?? "", /^slw_/);
      const me = await fetch(`${first.url}/api/v1/whoami`, {
        headers: { authorization: `Bearer ${first.adminToken}` },
      });
      assert.equal(me.status, 200);
      assert.equal((await fetch(`${first.url}/readyz`)).status, 200);
    } finally {
      await first.close();
    }
    const second = await startServer(options);
    await second.close();
    assert.equal(second.adminToken, undefined, "the token is shown only once");
    assert.ok(!logs.join("\n").includes(first.adminToken ?? "-"), "the token is not in the log");
  } finally {
    squatter.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("replicas starting together on one PostgreSQL database show exactly one admin token", async () => {
  const database = await createTestDatabase("postgres");
  const opened = await Promise.allSettled([database.open(), database.open(), database.open()]);
  const replicas = opened.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
  try {
    assert.deepEqual(
      opened.filter((o) => o.status === "rejected").map((o) => String((o as PromiseRejectedResult).reason)),
      [],
      "all three replicas start",
    );
    const secrets = await Promise.all(replicas.map((store) => bootstrapAdmin(store)));
    assert.equal(secrets.filter((s) => s !== undefined).length, 1, JSON.stringify(secrets));
  } finally {
    await Promise.all(replicas.map((store) => store.close()));
    await database.dispose();
  }
});
