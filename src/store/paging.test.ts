import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeCursor, encodeCursor, toPage } from "./paging.ts";

test("a page one row short of the fetch is the last; a full one carries the last key as its cursor", () => {
  assert.deepEqual(
    toPage("apps", ["a", "b"], 2, (s) => s),
    { items: ["a", "b"], nextCursor: null },
  );
  const page = toPage("apps", ["a", "b", "c"], 2, (s) => s);
  assert.deepEqual(page.items, ["a", "b"]);
  assert.equal(decodeCursor("apps", page.nextCursor ?? undefined), "b");
});

test("a cursor that is not ours is an input error that names the cursor and says what to pass", () => {
  assert.equal(decodeCursor("apps", undefined), undefined);
  assert.equal(decodeCursor("apps", encodeCursor("apps", "x")), "x");
  for (const bad of [
    "!!",
    Buffer.from("[1]").toString("base64url"),
    Buffer.from('{"k":1}').toString("base64url"),
    Buffer.from('{"k":"x"}').toString("base64url"),
  ]) {
    assert.throws(
      () => decodeCursor("apps", bad),
      (e: unknown) =>
        (e as { code?: string }).code === "SLIPWAY_E_INPUT" && /cursor .*nextCursor/.test(String(e)),
    );
  }
});

test("a cursor from another list is refused, naming both lists", () => {
  assert.throws(
    () => decodeCursor("releases", encodeCursor("apps", "checkout")),
    (e: unknown) =>
      (e as { code?: string }).code === "SLIPWAY_E_INPUT" &&
      /cursor comes from another list \(apps\), not releases/.test(String(e)),
  );
});
