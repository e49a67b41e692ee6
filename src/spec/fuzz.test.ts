/**
 * Fuzzing the parser: thousands of generated documents — random YAML values, random text, and
 * examples with random lines cut, swapped or mangled — must either parse or fail with a typed
 * SlipwayError whose problems all carry a position. No crash, no hang, no untyped error.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { stringify } from "yaml";
import { isSlipwayError } from "../core/errors.ts";
import { parseAppSpec, parsePlatform } from "./parse.ts";

const cart = readFileSync(new URL("../../examples/cart/slipway.yaml", import.meta.url), "utf8");
const platformText = readFileSync(new URL("../../examples/slipway.platform.yaml", import.meta.url), "utf8");
const platform = parsePlatform(platformText, "platform.yaml");

function parsesOrFailsTyped(parse: () => unknown): void {
  try {
    parse();
  } catch (error) {
    assert.ok(
      isSlipwayError(error),
      `untyped failure: ${error instanceof Error ? error.stack : String(error)}`,
    );
    for (const p of error.problems) {
      assert.ok(p.line >= 1 && p.column >= 1, `problem without a position: ${JSON.stringify(p)}`);
      assert.ok(p.message.length > 0);
    }
  }
}

test("generated YAML values never crash the app parser", () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
      parsesOrFailsTyped(() => parseAppSpec(stringify(value), "fuzz.yaml", platform));
      parsesOrFailsTyped(() => parsePlatform(stringify(value), "fuzz.yaml"));
    }),
    { numRuns: 1500 },
  );
});

test("random text never crashes the parsers", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300, unit: "grapheme-ascii" }), (text) => {
      parsesOrFailsTyped(() => parseAppSpec(text, "fuzz.yaml", platform));
      parsesOrFailsTyped(() => parsePlatform(text, "fuzz.yaml"));
    }),
    { numRuns: 1500 },
  );
});

test("mutated real specs never crash the parser", () => {
  const lines = cart.split("\n");
  const mutation = fc.record({
    index: fc.nat(lines.length - 1),
    kind: fc.constantFrom("drop", "duplicate", "swap", "replace", "indent"),
    other: fc.nat(lines.length - 1),
    text: fc.string({ maxLength: 20 }),
  });
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
      const mutated = [...lines];
      for (const m of mutations) {
        const line = mutated[m.index] ?? "";
        if (m.kind === "drop") mutated.splice(m.index, 1);
        else if (m.kind === "duplicate") mutated.splice(m.index, 0, line);
        else if (m.kind === "swap") [mutated[m.index], mutated[m.other]] = [mutated[m.other] ?? "", line];
        else if (m.kind === "replace") mutated[m.index] = line.replace(/:.*$/, `: ${m.text}`);
        else mutated[m.index] = `  ${line}`;
      }
      parsesOrFailsTyped(() => parseAppSpec(mutated.join("\n"), "fuzz.yaml", platform));
    }),
    { numRuns: 1500 },
  );
});
