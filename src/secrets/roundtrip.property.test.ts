/**
 * Property: any JSON-like document survives encrypt → decrypt, in Slipway and through the real
 * sops, in YAML and JSON; and changing any one value's ciphertext is caught and named.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import fc from "fast-check";
import { peerPath } from "../testing/peers.ts";
import { AgeKeyBackend } from "./backends/age.ts";
import { encryptDocument, openDocument } from "./format/sops-file.ts";
import { parsePlain } from "./format/stores.ts";
import { toJsonValue } from "./format/tree.ts";
import { KeyRing } from "./key-ring.ts";

const identity = await generateX25519Identity();
const recipient = await identityToRecipient(identity);
const keys = new KeyRing([new AgeKeyBackend([identity])]);
const dir = mkdtempSync(join(tmpdir(), "slipway-sops-prop-"));
writeFileSync(join(dir, "keys.txt"), `${identity}\n`);
after(() => rmSync(dir, { recursive: true, force: true }));

const key = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_.-]{0,11}$/).filter((k) => k !== "sops");
const scalar = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
  fc
    .double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 })
    .filter((d) => !Number.isInteger(d)),
  fc.boolean(),
);
const { doc } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, scalar, tie("doc"), fc.array(tie("value"), { maxLength: 4 })),
  doc: fc.dictionary(key, tie("value"), { minKeys: 1, maxKeys: 5 }),
}));

const seal = (text: string, file: string) =>
  encryptDocument(Buffer.from(text), {
    file,
    keys,
    now: new Date(),
    keyGroups: [[{ type: "age", recipient }]],
  });

test("YAML and JSON documents round-trip through Slipway", async () => {
  await fc.assert(
    fc.asyncProperty(doc, async (value) => {
      for (const file of ["p.json", "p.yaml"]) {
        const text = JSON.stringify(value); // JSON is also YAML
        const want = parsePlain(Buffer.from(text), file.endsWith("json") ? "json" : "yaml", file).map(
          toJsonValue,
        );
        const opened = await openDocument(Buffer.from(await seal(text, file)), { file, keys });
        assert.deepEqual(opened.branches.map(toJsonValue), want);
      }
    }),
    { numRuns: 60 },
  );
});

test("the real sops decrypts random documents Slipway encrypted to the same data", async () => {
  const sops = peerPath("sops");
  await fc.assert(
    fc.asyncProperty(doc, async (value) => {
      const text = JSON.stringify(value);
      for (const format of ["json", "yaml"] as const) {
        const path = join(dir, `p.${format}`);
        writeFileSync(path, await seal(text, `p.${format}`));
        const r = spawnSync(sops, ["decrypt", "--output-type", "json", path], {
          encoding: "utf8",
          env: { PATH: process.env.PATH ?? "", HOME: dir, SOPS_AGE_KEY_FILE: join(dir, "keys.txt") },
        });
        assert.equal(r.status, 0, r.stderr);
        const want = parsePlain(Buffer.from(text), format, `p.${format}`).map(toJsonValue)[0];
        assert.deepEqual(JSON.parse(r.stdout), want);
      }
    }),
    { numRuns: 15 },
  );
});

test("changing any single value's ciphertext fails, naming that value's path", async () => {
  await fc.assert(
    fc.asyncProperty(doc, fc.nat(), async (value, pick) => {
      const sealed = await seal(JSON.stringify(value), "p.json");
      const values = [
        ...sealed.matchAll(/"(ENC\[AES256_GCM,data:([^,]+),[^"]*type:(?!comment)[a-z]+\])"/g),
      ].filter((m) => !sealed.slice(Math.max(0, (m.index ?? 0) - 12), m.index).includes('"mac"'));
      fc.pre(values.length > 0);
      const target = values[pick % values.length] as RegExpMatchArray;
      const data = target[2] as string;
      const changed = (data[0] === "A" ? "B" : "A") + data.slice(1);
      const tampered = sealed.replace(
        target[1] as string,
        (target[1] as string).replace(`data:${data}`, `data:${changed}`),
      );
      await assert.rejects(
        openDocument(Buffer.from(tampered), { file: "p.json", keys }),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, "SLIPWAY_E_SECRET_INTEGRITY");
          assert.match(error.message, /: value failed authentication/);
          return true;
        },
      );
    }),
    { numRuns: 40 },
  );
});
