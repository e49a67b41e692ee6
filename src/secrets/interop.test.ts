/**
 * Interoperability with the real tools, in both directions, for every format:
 *  - what Slipway encrypts opens with Slipway, with an independent path (the real `age` CLI unwraps
 *    the data key, the MAC is recomputed here from the plaintext), and with the real `sops`;
 *  - what the real `sops` encrypts opens with Slipway.
 * The peers come from `npm run tools`; without them these tests fail and say so.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createDecipheriv, createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { type PrivateKey, readPrivateKeys } from "openpgp";
import { parse as parseYamlPlain } from "yaml";
import { peerPath } from "../testing/peers.ts";
import { AgeKeyBackend } from "./backends/age.ts";
import { parseAgeIdentities } from "./backends/age-keys.ts";
import { PgpKeyBackend } from "./backends/pgp.ts";
import { encryptDocument, openDocument } from "./format/sops-file.ts";
import { emitPlain, parsePlain, type SopsFormat } from "./format/stores.ts";
import { toJsonValue } from "./format/tree.ts";
import { KeyRing } from "./key-ring.ts";

const dir = mkdtempSync(join(tmpdir(), "slipway-sops-interop-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(bin: string, args: string[], input?: string): string {
  const result = spawnSync(bin, args, {
    cwd: dir,
    input,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: dir, SOPS_AGE_KEY_FILE: join(dir, "keys.txt") },
  });
  if (result.status !== 0) throw new Error(`${bin} ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
}

const keygen = peerPath("age-keygen");
run(keygen, ["-o", join(dir, "keys.txt")]);
const identities = parseAgeIdentities(readFileSync(join(dir, "keys.txt"), "utf8"));
const recipient = run(keygen, ["-y", join(dir, "keys.txt")]).trim();
const keys = new KeyRing([new AgeKeyBackend(identities)]);

/** Samples whose MAC input is easy to state independently: the leaf texts in document order. */
const samples: { name: string; format: SopsFormat; text: string; leaves: string[] }[] = [
  {
    name: "app.yaml",
    format: "yaml",
    text: "# database settings\ndb:\n  user: admin # inline\n  password: s3cr3t\n  port: 5432\n  tls: true\nhosts:\n  - a.example\n  - b.example\napi_unencrypted: public\n",
    leaves: ["admin", "s3cr3t", "5432", "True", "a.example", "b.example", "public"],
  },
  {
    name: "app.json",
    format: "json",
    text: '{"db": {"user": "admin", "port": 5432}, "list": ["x", "y"], "flag": false}\n',
    leaves: ["admin", "5432", "x", "y", "False"],
  },
  {
    name: "app.env",
    format: "dotenv",
    text: "# comment\nUSER=admin\nPASSWORD=s3 cr3t\n",
    leaves: ["admin", "s3 cr3t"],
  },
  {
    name: "app.ini",
    format: "ini",
    text: "[db]\nuser = admin\npassword = s3cr3t\n\n[cache]\nttl = 60\n",
    leaves: ["admin", "s3cr3t", "60"],
  },
  {
    name: "cert.pem",
    format: "binary",
    text: "-----BEGIN X-----\nline\n-----END X-----\n",
    leaves: ["-----BEGIN X-----\nline\n-----END X-----\n"],
  },
];

/** A file with its random parts (ciphertexts, armored keys, timestamps) blanked, to compare layouts. */
function maskCiphertexts(text: string): string {
  return text
    .replace(/ENC\[[^\]]*\]/g, "ENC")
    .replace(/-----BEGIN AGE ENCRYPTED FILE-----[^"]*?-----END AGE ENCRYPTED FILE-----/g, "AGE")
    .replace(/^( *)[A-Za-z0-9+/=]{20,}$/gm, "$1B64")
    .replace(/(lastmodified["']?\s*[:=]\s*)[^,\n]*/g, "$1T");
}

const semantic = (bytes: Uint8Array, format: SopsFormat, file: string) =>
  format === "binary"
    ? Buffer.from(bytes).toString("utf8")
    : parsePlain(bytes, format, file).map(toJsonValue);

/** The age `enc` blocks and the mac, read with generic parsers, not Slipway's stores. */
function metadataOf(text: string, format: SopsFormat): { enc: string; mac: string; lastmodified: string } {
  if (format === "yaml") {
    const m = parseYamlPlain(text).sops;
    return { enc: m.age[0].enc, mac: m.mac, lastmodified: m.lastmodified };
  }
  if (format === "json" || format === "binary") {
    const m = JSON.parse(text).sops;
    return { enc: m.age[0].enc, mac: m.mac, lastmodified: m.lastmodified };
  }
  const get = (key: string) => {
    const line = text.split("\n").find((l) => new RegExp(`^(sops_)?${key}\\s*=`).test(l)) as string;
    return line
      .slice(line.indexOf("=") + 1)
      .trim()
      .replaceAll("\\n", "\n");
  };
  return { enc: get("age__list_0__map_enc"), mac: get("mac"), lastmodified: get("lastmodified") };
}

function decryptMac(mac: string, key: Buffer, aad: string): string {
  const [, data, iv, tag] = /data:([^,]+),iv:([^,]+),tag:([^,]+),/.exec(mac) as RegExpExecArray;
  const d = createDecipheriv("aes-256-gcm", key, Buffer.from(iv as string, "base64"));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(Buffer.from(tag as string, "base64"));
  return Buffer.concat([d.update(Buffer.from(data as string, "base64")), d.final()]).toString();
}

for (const sample of samples) {
  test(`${sample.format}: Slipway's file opens with Slipway, with the age CLI plus a recomputed MAC, and with sops`, async () => {
    const sealed = await encryptDocument(Buffer.from(sample.text), {
      file: sample.name,
      keys,
      now: new Date(),
      keyGroups: [[{ type: "age", recipient }]],
    });
    assert.ok(
      !sealed.includes("s3cr3t") && !sealed.includes("admin"),
      "plaintext left in the encrypted file",
    );
    const path = join(dir, sample.name);
    writeFileSync(path, sealed);
    const want = semantic(Buffer.from(sample.text), sample.format, sample.name);

    const doc = await openDocument(Buffer.from(sealed), { file: sample.name, keys });
    const got =
      sample.format === "binary"
        ? semantic(Buffer.from(JSON.stringify(toJsonValue(doc.branches[0] as never))), "json", "x.json")
        : doc.branches.map(toJsonValue);
    if (sample.format === "binary") assert.deepEqual(got, [{ data: sample.text }]);
    else assert.deepEqual(got, want);

    // Independent path: the age CLI unwraps the data key; the MAC is recomputed from the leaves.
    const meta = metadataOf(sealed, sample.format);
    writeFileSync(join(dir, "key.age"), meta.enc);
    const dataKey = spawnSync(peerPath("age"), [
      "-d",
      "-i",
      join(dir, "keys.txt"),
      join(dir, "key.age"),
    ]).stdout;
    assert.equal(dataKey.length, 32);
    assert.deepEqual(Buffer.from(doc.dataKey), dataKey);
    const recomputed = createHash("sha512").update(sample.leaves.join("")).digest("hex").toUpperCase();
    assert.equal(decryptMac(meta.mac, dataKey, meta.lastmodified), recomputed);

    // The real sops reads it.
    const fromSops = run(peerPath("sops"), ["decrypt", path]);
    assert.deepEqual(semantic(Buffer.from(fromSops), sample.format, sample.name), want);
  });

  test(`${sample.format}: a file the real sops encrypted opens with Slipway, byte for byte as sops decrypts it`, async () => {
    const plainPath = join(dir, `plain-${sample.name}`);
    writeFileSync(plainPath, sample.text);
    const encrypted = run(peerPath("sops"), ["encrypt", "--age", recipient, plainPath]);
    const doc = await openDocument(Buffer.from(encrypted), { file: sample.name, keys });
    writeFileSync(join(dir, `sops-${sample.name}`), encrypted);
    const bySops = run(peerPath("sops"), [
      "decrypt",
      "--input-type",
      sample.format,
      "--output-type",
      sample.format,
      join(dir, `sops-${sample.name}`),
    ]);
    assert.equal(Buffer.from(emitPlain(doc.branches, doc.format)).toString("utf8"), bySops);
    // And Slipway lays out the encrypted file as sops does, line for line.
    const ours = await encryptDocument(Buffer.from(sample.text), {
      file: sample.name,
      keys,
      now: new Date(),
      keyGroups: [[{ type: "age", recipient }]],
    });
    assert.equal(maskCiphertexts(ours), maskCiphertexts(encrypted));
    if (sample.format === "binary") assert.deepEqual(doc.branches.map(toJsonValue), [{ data: sample.text }]);
    else
      assert.deepEqual(
        doc.branches.map(toJsonValue),
        semantic(Buffer.from(sample.text), sample.format, sample.name),
      );
  });
}

/** Comments (head, inline, in lists, trailing), every scalar type, a multi-line string, a timestamp. */
const rich = `# top comment
db:
  user: admin # who
  # the password
  password: hunter2
  port: 5432
  ratio: 0.5
  big: 7.0
  huge: 1234568000.0
  on: true
  list:
    - a
    # item comment
    - 2
  secret_unencrypted: visible
multi: |
  line1
  line2
empty: ""
nothing: null
date: 2024-01-01
quoted: "yes"
# trailing comment
`;

/** Comments where yaml.v3 and the `yaml` library disagree: key lines, dashes, dedented feet. */
const awkwardComments = `# head 1

# head 2 after blank
a: # on a with map value
  b: 1 # inline b
  # foot of a's map
c:
  - x
  - # comment on dash
    y: 2
  # end of list
d:
  e:
    f: 3
    # deep foot
# between
g: [1, 2] # flow
h: >
  folded text
# final
`;

for (const [name, sample] of [
  ["types and comments", rich],
  ["awkward comments", awkwardComments],
] as const) {
  test(`yaml fidelity (${name}): same layout as sops, and each decrypts the other's file exactly as sops does`, async () => {
    const base = name.replaceAll(" ", "-");
    writeFileSync(join(dir, `${base}.yaml`), sample);
    const bySopsEnc = run(peerPath("sops"), ["encrypt", "--age", recipient, join(dir, `${base}.yaml`)]);
    writeFileSync(join(dir, `${base}.sops.yaml`), bySopsEnc);
    const reference = run(peerPath("sops"), ["decrypt", join(dir, `${base}.sops.yaml`)]);

    const ours = await encryptDocument(Buffer.from(sample), {
      file: `${base}.yaml`,
      keys,
      now: new Date(),
      keyGroups: [[{ type: "age", recipient }]],
    });
    writeFileSync(join(dir, `${base}.slipway.yaml`), ours);
    assert.equal(run(peerPath("sops"), ["decrypt", join(dir, `${base}.slipway.yaml`)]), reference);

    const doc = await openDocument(Buffer.from(bySopsEnc), { file: `${base}.yaml`, keys });
    assert.equal(Buffer.from(emitPlain(doc.branches, "yaml")).toString("utf8"), reference);
    assert.equal(maskCiphertexts(ours), maskCiphertexts(bySopsEnc));
  });
}

test("post-quantum age1pq1 recipients work both ways with sops", async () => {
  const pqIdentity = run(peerPath("age-keygen"), ["-pq"])
    .split("\n")
    .find((l) => l.startsWith("AGE-SECRET-KEY-PQ-1")) as string;
  writeFileSync(join(dir, "pq-keys.txt"), `${pqIdentity}\n`);
  const pqRecipient = run(peerPath("age-keygen"), ["-y", join(dir, "pq-keys.txt")]).trim();
  assert.match(pqRecipient, /^age1pq1/);
  const pqKeys = new KeyRing([new AgeKeyBackend([pqIdentity])]);
  const ours = await encryptDocument(Buffer.from("token: pq-secret\n"), {
    file: "pq.yaml",
    keys: pqKeys,
    now: new Date(),
    keyGroups: [[{ type: "age", recipient: pqRecipient }]],
  });
  writeFileSync(join(dir, "pq.yaml"), ours);
  const env = { PATH: process.env.PATH ?? "", HOME: dir, SOPS_AGE_KEY_FILE: join(dir, "pq-keys.txt") };
  const decrypted = spawnSync(peerPath("sops"), ["decrypt", join(dir, "pq.yaml")], {
    cwd: dir,
    env,
    encoding: "utf8",
  });
  assert.equal(decrypted.stdout, "token: pq-secret\n", decrypted.stderr);
  writeFileSync(join(dir, "pq-plain.yaml"), "token: from-sops\n");
  const bySops = spawnSync(peerPath("sops"), ["encrypt", "--age", pqRecipient, join(dir, "pq-plain.yaml")], {
    cwd: dir,
    env,
    encoding: "utf8",
  });
  const doc = await openDocument(Buffer.from(bySops.stdout), { file: "pq.yaml", keys: pqKeys });
  assert.deepEqual(doc.branches.map(toJsonValue), [{ token: "from-sops" }]);
});

test("key groups with a Shamir threshold: 2 of 3 groups open the file, both ways with sops", async () => {
  const shamirDir = join(dir, "shamir");
  mkdirSync(shamirDir);
  const ids = await Promise.all([0, 1, 2].map(() => generateX25519Identity()));
  const recipients = await Promise.all(ids.map((id) => identityToRecipient(id)));
  writeFileSync(
    join(shamirDir, ".sops.yaml"),
    `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n${recipients.map((r) => `      - age: [${r}]\n`).join("")}`,
  );
  writeFileSync(join(shamirDir, "kept.yaml"), "token: split-three-ways\n");
  // Only the first and last identities: two of the three groups.
  writeFileSync(join(shamirDir, "two.txt"), `${ids[0]}\n${ids[2]}\n`);
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: shamirDir,
    SOPS_AGE_KEY_FILE: join(shamirDir, "two.txt"),
  };
  const sops = (args: string[]) =>
    spawnSync(peerPath("sops"), args, { cwd: shamirDir, env, encoding: "utf8" });
  const two = new KeyRing([new AgeKeyBackend([ids[0] as string, ids[2] as string])]);
  const one = new KeyRing([new AgeKeyBackend([ids[1] as string])]);

  const bySops = sops(["encrypt", "kept.yaml"]);
  assert.equal(bySops.status, 0, bySops.stderr);
  assert.match(bySops.stdout, /shamir_threshold: 2/);
  const doc = await openDocument(Buffer.from(bySops.stdout), { file: "kept.yaml", keys: two });
  assert.deepEqual(doc.branches.map(toJsonValue), [{ token: "split-three-ways" }]);
  await assert.rejects(
    openDocument(Buffer.from(bySops.stdout), { file: "kept.yaml", keys: one }),
    /only 1 of the 2 key groups/,
  );

  const ours = await encryptDocument(Buffer.from("token: ours\n"), {
    file: "ours.yaml",
    keys: new KeyRing([new AgeKeyBackend([])]),
    now: new Date(),
    keyGroups: recipients.map((recipient) => [{ type: "age" as const, recipient }]),
    shamirThreshold: 2,
  });
  writeFileSync(join(shamirDir, "ours.yaml"), ours);
  const back = sops(["decrypt", "ours.yaml"]);
  assert.equal(back.stdout, "token: ours\n", back.stderr);
});

test("mac_only_encrypted with encrypted_regex: both ways with sops, clear values outside the MAC", async () => {
  const text = "kind: Secret\nmetadata:\n  name: web\nstringData:\n  password: p4ss\n";
  const sub = join(dir, "mac-only");
  mkdirSync(sub);
  // sops sets mac_only_encrypted only from .sops.yaml (there is no flag).
  writeFileSync(
    join(sub, ".sops.yaml"),
    `creation_rules:\n  - age: ${recipient}\n    encrypted_regex: ^stringData$\n    mac_only_encrypted: true\n`,
  );
  writeFileSync(join(sub, "k8s.yaml"), text);
  const result = spawnSync(peerPath("sops"), ["encrypt", "k8s.yaml"], {
    cwd: sub,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: dir, SOPS_AGE_KEY_FILE: join(dir, "keys.txt") },
  });
  assert.equal(result.status, 0, result.stderr);
  const bySops = result.stdout;
  assert.match(bySops, /mac_only_encrypted: true/);
  assert.match(bySops, /name: web/);
  const doc = await openDocument(Buffer.from(bySops), { file: "k8s.yaml", keys });
  assert.deepEqual(doc.branches.map(toJsonValue), [
    { kind: "Secret", metadata: { name: "web" }, stringData: { password: "p4ss" } },
  ]);
  // A clear value outside the MAC may change without breaking the file, as in sops.
  await openDocument(Buffer.from(bySops.replace("name: web", "name: api")), { file: "k8s.yaml", keys });

  const ours = await encryptDocument(Buffer.from(text), {
    file: "k8s.yaml",
    keys,
    now: new Date(),
    keyGroups: [[{ type: "age", recipient }]],
    selectors: { encryptedRegex: "^stringData$" },
    macOnlyEncrypted: true,
  });
  writeFileSync(join(dir, "k8s.slipway.yaml"), ours);
  assert.equal(
    run(peerPath("sops"), ["decrypt", join(dir, "k8s.slipway.yaml")]),
    text.replace("  name", "    name").replace("  password", "    password"),
  );
});

test("PGP: sops (through GnuPG) opens what Slipway wrapped with a public key, and Slipway what sops wrapped", async () => {
  const gnupg = join(dir, "gnupg");
  mkdirSync(gnupg, { mode: 0o700 });
  const armored = readFileSync(new URL("./testdata/sops-vectors/sops-nix/key.asc", import.meta.url), "utf8");
  const fp = "7FB89715AADA920D65D25E63F9BA9DEBD03F57C0";
  const env = { PATH: process.env.PATH ?? "", HOME: dir, GNUPGHOME: gnupg };
  after(() => spawnSync("gpgconf", ["--kill", "gpg-agent"], { env }));
  const imported = spawnSync("gpg", ["--batch", "--import"], { input: armored, env, encoding: "utf8" });
  assert.equal(imported.status, 0, imported.stderr);
  const [secret] = await readPrivateKeys({ armoredKeys: armored });
  const wrapOnly = new KeyRing([new PgpKeyBackend([(secret as PrivateKey).toPublic().armor()])]);
  const ours = await encryptDocument(Buffer.from("token: pgp-slipway\n"), {
    file: "pgp.yaml",
    keys: wrapOnly,
    now: new Date(),
    keyGroups: [[{ type: "pgp", fp }]],
  });
  writeFileSync(join(dir, "pgp.yaml"), ours);
  const bySops = spawnSync(peerPath("sops"), ["decrypt", join(dir, "pgp.yaml")], { env, encoding: "utf8" });
  assert.equal(bySops.stdout, "token: pgp-slipway\n", bySops.stderr);

  writeFileSync(join(dir, "pgp-plain.yaml"), "token: pgp-sops\n");
  const enc = spawnSync(peerPath("sops"), ["encrypt", "--pgp", fp, join(dir, "pgp-plain.yaml")], {
    env,
    encoding: "utf8",
  });
  assert.equal(enc.status, 0, enc.stderr);
  const doc = await openDocument(Buffer.from(enc.stdout), {
    file: "pgp.yaml",
    keys: new KeyRing([new PgpKeyBackend([armored])]),
  });
  assert.deepEqual(doc.branches.map(toJsonValue), [{ token: "pgp-sops" }]);
});
