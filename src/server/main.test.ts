import assert from "node:assert/strict";
import { test } from "node:test";
import { parseListen } from "./main.ts";

test("--listen takes host:port, :port, port and bracketed IPv6; anything else names the flag", () => {
  assert.deepEqual(parseListen("0.0.0.0:9000"), { hostname: "0.0.0.0", port: 9000 });
  assert.deepEqual(parseListen(":8080"), { hostname: "127.0.0.1", port: 8080 });
  assert.deepEqual(parseListen("8080"), { hostname: "127.0.0.1", port: 8080 });
  assert.deepEqual(parseListen("[::1]:0"), { hostname: "::1", port: 0 });
  for (const bad of ["localhost", "host:99999", "", "1.2.3.4:"]) {
    assert.throws(() => parseListen(bad), /--listen .* is not host:port/);
  }
});
