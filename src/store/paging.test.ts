import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeCursor, encodeCursor, toPage } from "./paging.ts";

test("a page one row short of the fetch is the last; a full one carries the last key as its cursor", () => {
  assert.deepEqual(
    toPage(["a", "b"], 2, (s) => s),
    { items: ["a", "b"], nextCursor: null },
  );
  const page = toPage(["a", "b", "c"], 2, (s) => s);
  assert.deepEqual(page.items, ["a", "b"]);
  assert.equal(decodeCursor(page.nextCursor ?? undefined), "b");
});

test("a cursor that is not ours is an input error that says what to pass instead", () => {
  assert.equal(decodeCursor(undefined), undefined);
  assert.equal(decodeCursor(encodeCursor("x")), "x");
  for (const bad of [
    "!!",
    Buffer.from("[1]").toString("base64url"),
    Buffer.from('{"k":1}').toString("base64url"),
  ]) {
    assert.throws(
      () => decodeCursor(bad),
      (e: unknown) => (e as { code?: string }).code === "SLIPWAY_E_INPUT" && /nextCursor/.test(String(e)),
    );
  }
});
