/** Every SOPS reader refuses hostile shapes with a clean error: depth, size, many keys, duplicates. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_DOCUMENT_BYTES, MAX_NESTING } from "./limits.ts";
import { parseEncrypted, parsePlain, type SopsFormat } from "./stores.ts";

function rejects(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (error: Error & { code?: string }) => {
    assert.equal(error.code, code, String(error.stack));
    assert.match(error.message, message);
    return true;
  });
}

const deep = new RegExp(`nested more than ${MAX_NESTING} levels deep`);

test("a 50,000-deep JSON or YAML file is refused as too deep, not with a stack overflow", () => {
  const n = 50_000;
  const json = `{"a": ${"[".repeat(n)}${"]".repeat(n)}}`;
  rejects(
    () => parsePlain(Buffer.from(json), "json", "deep.json"),
    "SLIPWAY_E_INPUT",
    /^deep\.json:1:\d+: maps/,
  );
  rejects(() => parseEncrypted(Buffer.from(json), "binary", "deep.bin"), "SLIPWAY_E_INPUT", deep);
  const flow = `a: ${"[".repeat(n)}${"]".repeat(n)}\n`;
  rejects(() => parsePlain(Buffer.from(flow), "yaml", "deep.yaml"), "SLIPWAY_E_INPUT", deep);
  const block = `${Array.from({ length: 400 }, (_, i) => `${" ".repeat(i)}k:`).join("\n")} 1\n`;
  rejects(() => parsePlain(Buffer.from(block), "yaml", "block.yaml"), "SLIPWAY_E_INPUT", deep);
});

test("nesting up to the limit still reads", () => {
  const n = MAX_NESTING - 1;
  const json = `{"a": ${"[".repeat(n)}${"]".repeat(n)}}`;
  assert.equal(parsePlain(Buffer.from(json), "json", "ok.json").length, 1);
  const yaml = `a: ${"[".repeat(n)}${"]".repeat(n)}\n`;
  assert.equal(parsePlain(Buffer.from(yaml), "yaml", "ok.yaml").length, 1);
});

test("flattened metadata (dotenv, INI) cannot nest past the limit either", () => {
  const key = `sops_age${"__map_x".repeat(MAX_NESTING + 5)}`;
  rejects(
    () => parseEncrypted(Buffer.from(`A=1\n${key}=v\n`), "dotenv", "deep.env"),
    "SLIPWAY_E_INPUT",
    deep,
  );
});

test("a file over the size limit is refused before it is parsed, in every format", () => {
  const big = Buffer.alloc(MAX_DOCUMENT_BYTES + 1, 0x20);
  for (const format of ["yaml", "json", "dotenv", "ini", "binary"] as SopsFormat[]) {
    rejects(() => parsePlain(big, format, `big.${format}`), "SLIPWAY_E_TOO_LARGE", /at most 33554432 bytes/);
  }
});

test("YAML with many keys reads in linear time; a duplicate key names its line", () => {
  const n = 20_000;
  const text = `${Array.from({ length: n }, (_, i) => `key${i}: value${i}`).join("\n")}\n`;
  const started = performance.now();
  const [doc] = parsePlain(Buffer.from(text), "yaml", "wide.yaml");
  const ms = performance.now() - started;
  assert.equal(doc?.entries.length, n);
  // The yaml library's own check compared every pair of keys: 9 s here, 36 s at 40,000 keys.
  assert.ok(ms < 3000, `${n} keys took ${ms.toFixed(0)} ms`);
  rejects(
    () => parsePlain(Buffer.from("a: 1\nb:\n  c: 2\n  c: 3\n"), "yaml", "dup.yaml"),
    "SLIPWAY_E_INPUT",
    /^dup\.yaml:4:3: duplicate key "c"/,
  );
});
