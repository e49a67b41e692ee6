import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isSlipwayError } from "../core/errors.ts";
import { hasPeer, PEERS, peerPath, peerVersion } from "./peers.ts";

test("a missing peer fails with the command that builds it", () => {
  const empty = mkdtempSync(join(tmpdir(), "slipway-peers-"));
  const saved = process.env.SLIPWAY_CACHE;
  process.env.SLIPWAY_CACHE = empty;
  try {
    assert.equal(hasPeer("sops"), false);
    assert.throws(
      () => peerPath("sops"),
      (e: unknown) => isSlipwayError(e) && e.message.includes("npm run tools") && e.message.includes(empty),
    );
  } finally {
    if (saved === undefined) delete process.env.SLIPWAY_CACHE;
    else process.env.SLIPWAY_CACHE = saved;
    rmSync(empty, { recursive: true });
  }
});

test("every peer has a pinned version", () => {
  for (const name of PEERS) assert.match(peerVersion(name), /^v\d+\.\d+\.\d+$/);
  assert.equal(peerVersion("kubectl"), "v1.37.2");
});
