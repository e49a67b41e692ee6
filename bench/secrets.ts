/**
 * `npm run bench -- secrets [--files 500] [--rounds 5]`: Slipway's SOPS code against the real
 * `age` CLI (v1.3.2, from `npm run tools`) in the same run.
 *  1. encrypt and decrypt a YAML file of 1,000 values, and a 1 MiB binary file, with an age key
 *     (median of the rounds; target: the 1,000-value file in <= 100 ms each way);
 *  2. decrypt 500 small files in a batch, as a deployment would (target: >= 200 files/s);
 *  3. for the same 500 files, the `age` CLI unwraps the same data keys, one process per file as a
 *     script would; the per-file ratio compares a full Slipway decrypt (unwrap, every value, MAC)
 *     with age's unwrap alone.
 * The last line is one JSON object with the figures.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { parse as parseYaml } from "yaml";
import { AgeKeyBackend } from "../src/secrets/backends/age.ts";
import { encryptDocument, openDocument } from "../src/secrets/format/sops-file.ts";
import { KeyRing } from "../src/secrets/key-ring.ts";
import { peerPath } from "../src/testing/peers.ts";

const { values } = parseArgs({
  options: { files: { type: "string", default: "500" }, rounds: { type: "string", default: "5" } },
});
const FILES = Number(values.files);
const ROUNDS = Number(values.rounds);
const age = peerPath("age");
const work = mkdtempSync(join(tmpdir(), "slipway-bench-secrets-"));

const identity = await generateX25519Identity();
const recipient = await identityToRecipient(identity);
const keys = new KeyRing([new AgeKeyBackend([identity])]);
const keyGroups = [[{ type: "age" as const, recipient }]];
const now = new Date();
writeFileSync(join(work, "keys.txt"), `${identity}\n`, { mode: 0o600 });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const fmt = (n: number) => n.toFixed(n < 10 ? 2 : 1);

async function timeEach(file: string, plaintext: Buffer): Promise<{ encrypt: number; decrypt: number }> {
  const enc: number[] = [];
  const dec: number[] = [];
  for (let round = 0; round < ROUNDS + 1; round++) {
    let t = process.hrtime.bigint();
    const sealed = await encryptDocument(plaintext, { file, keys, keyGroups, now });
    const e = ms(t);
    t = process.hrtime.bigint();
    await openDocument(Buffer.from(sealed), { file, keys });
    const d = ms(t);
    if (round > 0) {
      // Round 0 warms up the JIT and is not counted.
      enc.push(e);
      dec.push(d);
    }
  }
  return { encrypt: median(enc), decrypt: median(dec) };
}

// 1,000 values: 100 services × 10 settings, nested like a real values file.
const lines: string[] = [];
for (let s = 0; s < 100; s++) {
  lines.push(`service-${s}:`);
  for (let k = 0; k < 10; k++) lines.push(`  key_${k}: value-${s}-${k}-${"x".repeat(24)}`);
}
const thousand = Buffer.from(`${lines.join("\n")}\n`);
const oneMiB = Buffer.alloc(1024 * 1024, "0123456789abcdef");

const t1000 = await timeEach("values.yaml", thousand);
const tMiB = await timeEach("blob.bin", oneMiB);
console.log(
  `1,000-value YAML: encrypt ${fmt(t1000.encrypt)} ms, decrypt ${fmt(t1000.decrypt)} ms (target <= 100 ms)`,
);
console.log(`1 MiB binary:     encrypt ${fmt(tMiB.encrypt)} ms, decrypt ${fmt(tMiB.decrypt)} ms`);

// 500 small files, each with its own data key.
const small: { name: string; text: string }[] = [];
for (let i = 0; i < FILES; i++) {
  const plain = Buffer.from(`db:\n  user: app${i}\n  password: pw-${i}-secret\napi_token: tok-${i}\n`);
  small.push({
    name: `app-${i}.yaml`,
    text: await encryptDocument(plain, { file: `app-${i}.yaml`, keys, keyGroups, now }),
  });
}
// Warm the decrypt path (JIT) on a few files first, as a long-running server would be.
for (const f of small.slice(0, 50)) await openDocument(Buffer.from(f.text), { file: f.name, keys });
let t = process.hrtime.bigint();
for (const f of small) await openDocument(Buffer.from(f.text), { file: f.name, keys });
const batchMs = ms(t);
const filesPerSecond = (FILES / batchMs) * 1000;
console.log(
  `batch: ${FILES} files decrypted in ${fmt(batchMs)} ms = ${fmt(filesPerSecond)} files/s (target >= 200)`,
);

// The age CLI unwraps the same data keys, one process per file.
const encs = small.map((f, i) => {
  const path = join(work, `key-${i}.age`);
  writeFileSync(path, parseYaml(f.text).sops.age[0].enc);
  return path;
});
t = process.hrtime.bigint();
for (const path of encs) {
  const r = spawnSync(age, ["-d", "-i", join(work, "keys.txt"), path]);
  if (r.status !== 0 || r.stdout.length !== 32) throw new Error(`age failed on ${path}: ${r.stderr}`);
}
const ageMs = ms(t);
const slipwayPerFile = batchMs / FILES;
const agePerFile = ageMs / FILES;
console.log(
  `per file: Slipway full decrypt ${fmt(slipwayPerFile)} ms vs age CLI unwrap only ${fmt(agePerFile)} ms ` +
    `→ Slipway is ${fmt(agePerFile / slipwayPerFile)}× faster per file`,
);
rmSync(work, { recursive: true, force: true });

console.log(
  JSON.stringify({
    bench: "secrets",
    values1000_encrypt_ms: Number(fmt(t1000.encrypt)),
    values1000_decrypt_ms: Number(fmt(t1000.decrypt)),
    mib1_encrypt_ms: Number(fmt(tMiB.encrypt)),
    mib1_decrypt_ms: Number(fmt(tMiB.decrypt)),
    batch_files: FILES,
    batch_ms: Number(fmt(batchMs)),
    batch_files_per_s: Number(fmt(filesPerSecond)),
    slipway_ms_per_file: Number(fmt(slipwayPerFile)),
    age_cli_unwrap_ms_per_file: Number(fmt(agePerFile)),
    ratio_age_over_slipway: Number(fmt(agePerFile / slipwayPerFile)),
    targets_met: t1000.encrypt <= 100 && t1000.decrypt <= 100 && filesPerSecond >= 200,
  }),
);
