/**
 * Acceptance against files written by the real sops (3.3 to 3.13): every age vector opens with the
 * published test keys, yields the expected data key and plaintext, and its MAC verifies.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { AgeKeyBackend } from "./backends/age.ts";
import { parseAgeIdentities } from "./backends/age-keys.ts";
import { PgpKeyBackend } from "./backends/pgp.ts";
import { openDocument } from "./format/sops-file.ts";
import { type TreeValue, toJsonValue } from "./format/tree.ts";
import { KeyRing } from "./key-ring.ts";

const vectorsDir = fileURLToPath(new URL("./testdata/sops-vectors/", import.meta.url));

interface Expected {
  format: string;
  data_key_hex: string;
  mac_plaintext_hex_upper: string;
  key_entries: { type: string; id: string }[];
  decrypted_documents: unknown[];
  decrypted_comments?: { plaintext: string }[];
}

/** Every comment in document order (the walk visits them where sops does). */
function commentsOf(value: TreeValue): string[] {
  if (value.kind === "map")
    return value.entries.flatMap((e) => ("kind" in e ? [e.value] : commentsOf(e.value)));
  if (value.kind === "list")
    return value.items.flatMap((i) => (i.kind === "comment" ? [i.value] : commentsOf(i)));
  return [];
}
const expected = JSON.parse(readFileSync(`${vectorsDir}expected/vectors.expected.json`, "utf8")) as Record<
  string,
  Expected
>;

const keyFiles = [
  "humphd-sops-age/key.txt",
  "sops-nix/age-keys.txt",
  "flux-kustomize-controller/keys/age.txt",
  "flux-kustomize-controller/keys/age-global.txt",
  "flux-kustomize-controller/keys/age-pq.txt",
  "helm-secrets/key.txt",
];
const vectorIdentities = keyFiles.flatMap((f) =>
  parseAgeIdentities(readFileSync(`${vectorsDir}${f}`, "utf8")),
);

const ageVectors = Object.entries(expected).filter(([, e]) => e.key_entries.some((k) => k.type === "age"));
const pgpVectors = Object.entries(expected).filter(([, e]) => e.key_entries.every((k) => k.type === "pgp"));
const pgpKeys = ["getsops-sops/sops_functional_tests_key.asc", "sops-nix/key.asc"].map((f) =>
  readFileSync(`${vectorsDir}${f}`, "utf8"),
);

test("there are age vectors to check", () => {
  assert.ok(ageVectors.length >= 12, `found ${ageVectors.length}`);
});

for (const [file, want] of ageVectors) {
  test(`age vector ${file} (${want.format}) decrypts with a verified MAC`, async () => {
    const keys = new KeyRing([new AgeKeyBackend(vectorIdentities)]);
    const doc = await openDocument(readFileSync(`${vectorsDir}${file}`), { file, keys });
    assert.equal(Buffer.from(doc.dataKey).toString("hex"), want.data_key_hex);
    const got =
      doc.format === "binary" ? [toJsonValue(doc.branches[0] as never)] : doc.branches.map(toJsonValue);
    assert.deepEqual(got, want.decrypted_documents);
  });
}

for (const [file, want] of pgpVectors) {
  test(`PGP vector ${file} (${want.format}) decrypts with a verified MAC (openpgp, the vectors' test keys)`, async () => {
    const keys = new KeyRing([new PgpKeyBackend(pgpKeys)]);
    const doc = await openDocument(readFileSync(`${vectorsDir}${file}`), { file, keys });
    assert.equal(Buffer.from(doc.dataKey).toString("hex"), want.data_key_hex);
    const got =
      doc.format === "binary" ? [toJsonValue(doc.branches[0] as never)] : doc.branches.map(toJsonValue);
    assert.deepEqual(got, want.decrypted_documents);
    if (want.decrypted_comments) {
      const comments = doc.branches.flatMap(commentsOf);
      for (const c of want.decrypted_comments) assert.ok(comments.includes(c.plaintext), c.plaintext);
    }
  });
}

test("a key that is not a recipient of the file cannot open it, and the error says so", async () => {
  const other = "AGE-SECRET-KEY-1432K5YRNSC44GC4986NXMX6GVZ52WTMT9C79CLUVWYY4DKDHD5JSNDP4MC";
  const keys = new KeyRing([new AgeKeyBackend([other])]);
  const file = "flux-kustomize-controller/algorithms-age.yaml";
  await assert.rejects(openDocument(readFileSync(`${vectorsDir}${file}`), { file, keys }), (error: Error) => {
    assert.match(error.message, /no master key could unwrap the data key/);
    return true;
  });
});
