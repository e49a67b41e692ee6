/** A file no key can open is reported at its `sops` entry, never at line 0, column 0. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { generateIdentity, identityToRecipient } from "age-encryption";
import type { Problem } from "../../core/errors.ts";
import { AgeKeyBackend } from "../backends/age.ts";
import { KeyRing } from "../key-ring.ts";
import { encryptDocument, openDocument } from "./sops-file.ts";

const writer = new KeyRing([new AgeKeyBackend([await generateIdentity()])]);
const stranger = new KeyRing([new AgeKeyBackend([await generateIdentity()])]);
const recipient = await identityToRecipient(await generateIdentity());

for (const [file, plain, line, column] of [
  ["app.yaml", "db:\n  password: hunter2\n", 3, 1],
  ["app.json", '{"db": {"password": "hunter2"}}', 5, 2],
  ["app.env", "PASSWORD=hunter2\n", 2, 1],
] as const) {
  test(`key errors of ${file} cite the line of its sops entry`, async () => {
    const sealed = await encryptDocument(Buffer.from(plain), {
      file,
      keys: writer,
      now: new Date("2026-11-23T12:00:00Z"),
      keyGroups: [[{ type: "age", recipient }]],
    });
    await assert.rejects(
      openDocument(Buffer.from(sealed), { file, keys: stranger }),
      (error: { problems: Problem[] }) => {
        assert.ok(error.problems.length > 0);
        for (const p of error.problems) {
          assert.deepEqual([p.file, p.line, p.column], [file, line, column], `${sealed}\n${p.message}`);
        }
        return true;
      },
    );
  });
}
