/** The CLI's side of the API as users meet it: a wrong scheme, a stopped server, hostile data. */
import assert from "node:assert/strict";
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer as createTcpServer } from "node:net";
import { test } from "node:test";
import { memoryIo } from "../io.ts";
import { main } from "../main.ts";
import { ApiClient } from "./api-client.ts";

async function listening<S extends Server | ReturnType<typeof createTcpServer>>(
  server: S,
): Promise<{ port: number; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  assert.fail("expected the request to fail");
}

test("https:// against a plain HTTP server says so, and names the http:// to use", async () => {
  const http = await listening(createHttpServer((_, res) => res.end("{}")));
  try {
    const error = await failure(
      new ApiClient({ server: `https://127.0.0.1:${http.port}`, token: "t" }).whoami(),
    );
    assert.equal(error.code, "SLIPWAY_E_UNAVAILABLE");
    assert.equal(
      error.message,
      `the server at https://127.0.0.1:${http.port} answered plain HTTP to a TLS request: use http://127.0.0.1:${http.port}`,
    );
    assert.doesNotMatch(error.message, /slipway serve/);
  } finally {
    await http.close();
  }
});

test("http:// against a TLS server: a dropped connection or a 400 about HTTPS points at https://", async () => {
  // What a TLS server does with a plain request: Node's drops it, Go's and nginx answer 400 in text.
  const dropping = await listening(createTcpServer((socket) => socket.once("data", () => socket.destroy())));
  const answering = await listening(
    createHttpServer((_, res) => {
      res.statusCode = 400;
      res.end("Client sent an HTTP request to an HTTPS server.\n");
    }),
  );
  try {
    const dropped = await failure(
      new ApiClient({ server: `http://127.0.0.1:${dropping.port}`, token: "t" }).whoami(),
    );
    assert.match(
      dropped.message,
      new RegExp(`if it serves HTTPS, use https://127\\.0\\.0\\.1:${dropping.port}$`),
    );
    const answered = await failure(
      new ApiClient({ server: `http://127.0.0.1:${answering.port}`, token: "t" }).whoami(),
    );
    assert.match(
      answered.message,
      new RegExp(`the server speaks HTTPS, use https://127\\.0\\.0\\.1:${answering.port}$`),
    );
  } finally {
    await dropping.close();
    await answering.close();
  }
});

test("nothing listening is still the `slipway serve` hint", async () => {
  const gone = await listening(createHttpServer());
  await gone.close();
  const error = await failure(
    new ApiClient({ server: `http://127.0.0.1:${gone.port}`, token: "t" }).whoami(),
  );
  assert.match(error.message, /nothing listens at .*: is `slipway serve` running there\?/);
});

test("slipway apps prints control characters from the server as escapes: no screen clear, no title, no forged row", async () => {
  const hostile = "\u001b[2J\u001b]0;pwned\u0007evil\nforged-row  team  2026-01-01 00:00\u202e";
  const now = "2026-01-02T09:00:00.000Z";
  const app = {
    id: "app_1",
    name: "web",
    teamName: "shop",
    description: hostile,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const server = await listening(
    createHttpServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (/^\/api\/v1\/apps(\?|$)/.test(req.url ?? ""))
        res.end(JSON.stringify({ items: [app], nextCursor: "c\u001b[1m" }));
      else {
        res.statusCode = 404;
        res.end(
          JSON.stringify({
            error: { code: "SLIPWAY_E_NOT_FOUND", message: "no \u001b[31mred\u0007", details: {} },
          }),
        );
      }
    }),
  );
  try {
    const env = {
      SLIPWAY_SERVER: `http://127.0.0.1:${server.port}`,
      SLIPWAY_TOKEN: "t",
      HOME: "/nonexistent",
    };
    const io = memoryIo({ env });
    assert.equal(await main(["apps"], io), 0, io.stderr());
    const out = io.stdout() + io.stderr();
    const raw = [...out].filter((c) => c !== "\n" && (c < " " || c === "\u007f" || c === "\u202e"));
    assert.deepEqual(raw, [], "no raw control character reaches the terminal");
    assert.equal(io.stdout().trimEnd().split("\n").length, 2, "a header and one row");
    assert.match(io.stdout(), /\\x1b\[2J\\x1b\]0;pwned\\x07evil\\nforged-row/);
    assert.match(io.stderr(), /more: --cursor c\\x1b\[1m/);

    const notFound = memoryIo({ env });
    assert.equal(await main(["releases", "web"], notFound), 2);
    assert.match(notFound.stderr(), /error: no \\x1b\[31mred\\x07/);
  } finally {
    await server.close();
  }
});
