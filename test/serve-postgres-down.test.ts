/**
 * `slipway serve --database` on a PostgreSQL it cannot use: the host, the reason and what to
 * check, exit 1, no stack trace, and the password never printed.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { test } from "node:test";
import { memoryIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import { postgresUrl } from "./support/databases.ts";

async function serve(database: string) {
  const io = memoryIo({ env: {} });
  const code = await main(
    ["serve", "--database", database, "--listen", "127.0.0.1:0", "--data", "/tmp/unused"],
    io,
  );
  const err = io.stderr();
  assert.doesNotMatch(err, /\n\s+at /, "no stack trace");
  assert.doesNotMatch(err, /hunter2/, "no password");
  return { code, err };
}

test("nothing listening: refused, with the host and port and where to look", async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  const result = await serve(`postgres://slipway:hunter2@127.0.0.1:${port}/slipway`);
  assert.equal(result.code, 1);
  assert.match(
    result.err,
    new RegExp(
      `PostgreSQL at 127\\.0\\.0\\.1:${port} refused the connection: is PostgreSQL running, and listening on that address and port`,
    ),
  );
  assert.match(result.err, /postgres:\/\/slipway:\*\*\*@127\.0\.0\.1/);
});

test("a database that does not exist, and a host name that does not resolve", async () => {
  const url = new URL(postgresUrl);
  url.pathname = "/slipway_no_such_database";
  const missing = await serve(url.toString());
  assert.equal(missing.code, 1);
  assert.match(
    missing.err,
    /has no database "slipway_no_such_database": create it \(createdb slipway_no_such_database\)/,
  );
  const nohost = await serve("postgres://postgres@db.invalid:5432/slipway");
  assert.equal(nohost.code, 1);
  assert.match(nohost.err, /cannot find the host db\.invalid: check the host name in --database/);
});

test("a port that answers but is not PostgreSQL", async () => {
  const notPostgres = createServer((socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
  await new Promise<void>((resolve) => notPostgres.listen(0, "127.0.0.1", resolve));
  const { port } = notPostgres.address() as AddressInfo;
  try {
    const result = await serve(`postgres://postgres@127.0.0.1:${port}/slipway`);
    assert.equal(result.code, 1);
    assert.match(result.err, new RegExp(`PostgreSQL at 127\\.0\\.0\\.1:${port}`));
  } finally {
    notPostgres.close();
  }
});
