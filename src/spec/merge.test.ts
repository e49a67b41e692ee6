import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { mergeOverride } from "./merge.ts";

test("maps merge, lists replace, null removes", () => {
  const base = { env: { A: "1", B: "2" }, args: ["--a", "--b"], resources: { limits: { memory: "1Gi" } } };
  const override = { env: { B: "3", C: "4" }, args: ["--c"], resources: null };
  assert.deepEqual(mergeOverride(base, override), { env: { A: "1", B: "3", C: "4" }, args: ["--c"] });
});

test("merge laws hold for generated documents", () => {
  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.integer(),
      fc.string(),
      fc.array(tie("value"), { maxLength: 3 }),
      tie("map"),
    ),
    map: fc.dictionary(fc.constantFrom("a", "b", "c", "d"), tie("value"), {
      maxKeys: 4,
      noNullPrototype: true,
    }),
  }));
  fc.assert(
    fc.property(json.map, json.map, (base, override) => {
      const merged = mergeOverride(base, override) as Record<string, unknown>;
      for (const [key, value] of Object.entries(override)) {
        if (Array.isArray(value) || typeof value !== "object") assert.deepEqual(merged[key], value);
      }
      for (const key of Object.keys(base)) if (!(key in override)) assert.deepEqual(merged[key], base[key]);
      assert.deepEqual(mergeOverride(base, {}), base);
    }),
  );
});
