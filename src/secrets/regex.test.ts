/**
 * The SOPS format's regexes are Go's RE2, tested both ways with the real sops: for sops' own regex
 * forms, Slipway encrypts the same values sops encrypts, opens what sops wrote (its MAC verifies),
 * and sops opens what Slipway wrote. Invalid patterns name their file and field; a pattern from a
 * file's metadata cannot stall decryption.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { parse as parseYamlPlain } from "yaml";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";
import { peerPath } from "../testing/peers.ts";
import { AgeKeyBackend } from "./backends/age.ts";
import { creationRuleFor, parseSopsConfig } from "./creation-rules.ts";
import { MAX_REGEX_LENGTH } from "./format/regex.ts";
import type { Selectors } from "./format/selectors.ts";
import { encryptDocument, openDocument } from "./format/sops-file.ts";
import { toJsonValue } from "./format/tree.ts";
import { KeyRing } from "./key-ring.ts";

const identity = await generateIdentity();
const recipient = await identityToRecipient(identity);
const keys = new KeyRing([new AgeKeyBackend([identity])]);
const dir = mkdtempSync(join(tmpdir(), "slipway-regex-"));
writeFileSync(join(dir, "keys.txt"), `${identity}\n`);

function sops(args: string[]): string {
  const r = spawnSync(peerPath("sops"), args, {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: dir, SOPS_AGE_KEY_FILE: join(dir, "keys.txt") },
  });
  if (r.status !== 0) throw new Error(`sops ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

const plain = `# public: shown to everyone
password: hunter2
PassPhrase: open-sesame
db_user2: admin
api-key: k-123
note: hello
# sops:enc
nested:
  token: t-1
  label: blue
`;

/** Top-level and nested keys whose value is encrypted, as a sorted list. */
function encryptedKeys(text: string): string[] {
  const doc = parseYamlPlain(text) as Record<string, unknown>;
  const out: string[] = [];
  const walk = (value: unknown, path: string[]) => {
    if (typeof value === "string" && value.startsWith("ENC[")) out.push(path.join("."));
    else if (value && typeof value === "object")
      for (const [k, v] of Object.entries(value)) if (k !== "sops") walk(v, [...path, k]);
  };
  walk(doc, []);
  return out.sort();
}

// sops' own regex forms: POSIX classes, inline flags, Unicode classes, \z; each differs from JavaScript.
const forms: { field: string; pattern: string; selectors: Selectors; encrypted: string[] }[] = [
  {
    field: "encrypted_regex",
    pattern: "^[[:alpha:]]+$",
    selectors: { encryptedRegex: "^[[:alpha:]]+$" },
    encrypted: ["PassPhrase", "nested.label", "nested.token", "note", "password"],
  },
  {
    field: "encrypted_regex",
    pattern: "(?i)^pass",
    selectors: { encryptedRegex: "(?i)^pass" },
    encrypted: ["PassPhrase", "password"],
  },
  {
    field: "encrypted_regex",
    pattern: "^\\pL+\\z",
    selectors: { encryptedRegex: "^\\pL+\\z" },
    encrypted: ["PassPhrase", "nested.label", "nested.token", "note", "password"],
  },
  {
    field: "unencrypted_regex",
    pattern: "[[:digit:]]|[[:punct:]]",
    selectors: { unencryptedRegex: "[[:digit:]]|[[:punct:]]" },
    encrypted: ["PassPhrase", "nested.label", "nested.token", "note", "password"],
  },
  {
    field: "encrypted_comment_regex",
    pattern: "(?i)^ ?SOPS:ENC",
    selectors: { encryptedCommentRegex: "(?i)^ ?SOPS:ENC" },
    encrypted: ["nested.label", "nested.token"],
  },
  {
    field: "unencrypted_comment_regex",
    pattern: "(?i)^\\s*PUBLIC",
    selectors: { unencryptedCommentRegex: "(?i)^\\s*PUBLIC" },
    encrypted: ["PassPhrase", "api-key", "db_user2", "nested.label", "nested.token", "note"],
  },
];

for (const form of forms) {
  test(`${form.field} '${form.pattern}': the same values as sops encrypts; each opens the other's file`, async () => {
    writeFileSync(join(dir, "plain.yaml"), plain);
    // A rule, because sops has flags for only two of the four selectors.
    const rule = `creation_rules:\n  - ${form.field}: '${form.pattern}'\n    age: ${recipient}\n`;
    writeFileSync(join(dir, "rule.sops.yaml"), rule);
    const bySops = sops(["--config", "rule.sops.yaml", "encrypt", "plain.yaml"]);
    assert.deepEqual(encryptedKeys(bySops), form.encrypted, "sops itself selected other values");

    // sops → Slipway: the MAC verifies, the plaintext is the same.
    const opened = await openDocument(Buffer.from(bySops), { file: "by-sops.yaml", keys });
    assert.deepEqual(opened.branches.map(toJsonValue), [parseYamlPlain(plain)]);

    // Slipway → sops: the same values encrypted, and sops decrypts it to the plaintext.
    const ours = await encryptDocument(Buffer.from(plain), {
      file: "ours.yaml",
      keys,
      now: new Date(),
      keyGroups: [[{ type: "age", recipient }]],
      selectors: form.selectors,
    });
    assert.deepEqual(encryptedKeys(ours), form.encrypted);
    writeFileSync(join(dir, "ours.yaml"), ours);
    assert.deepEqual(parseYamlPlain(sops(["decrypt", "ours.yaml"])), parseYamlPlain(plain));
  });
}

test(".sops.yaml rules with RE2-only syntax select the same rule as sops, and the file opens with sops", async () => {
  const config = `creation_rules:\n  - path_regex: (?i)\\.YAML\\z\n    encrypted_regex: ^[[:alpha:]]+$\n    age: ${recipient}\n`;
  writeFileSync(join(dir, ".sops.yaml"), config);
  const rule = creationRuleFor(parseSopsConfig(config, ".sops.yaml"), "app.yaml", ".sops.yaml");
  assert.deepEqual(rule.selectors, { encryptedRegex: "^[[:alpha:]]+$" });
  writeFileSync(join(dir, "app.yaml"), plain);
  const io = memoryIo({ cwd: dir, env: { HOME: dir, SOPS_AGE_KEY: identity } });
  assert.equal(await main(["secrets", "encrypt", "-i", "app.yaml"], io), 0, io.stderr());
  const ours = readFileSync(join(dir, "app.yaml"), "utf8");
  assert.deepEqual(encryptedKeys(ours), forms[0]?.encrypted);
  writeFileSync(join(dir, "plain.yaml"), plain);
  assert.deepEqual(encryptedKeys(sops(["encrypt", "plain.yaml"])), forms[0]?.encrypted);
  assert.deepEqual(parseYamlPlain(sops(["decrypt", "app.yaml"])), parseYamlPlain(plain));
});

async function cli(argv: string[], cwd: string, stdin?: string) {
  const io = memoryIo({ cwd, env: { HOME: cwd, SOPS_AGE_KEY: identity }, ...(stdin ? { stdin } : {}) });
  const code = await main(argv, io);
  return { code, stderr: io.stderr() };
}

test("an invalid regex in a flag, a .sops.yaml field or a file's metadata names where it is; no stack trace", async () => {
  const work = mkdtempSync(join(tmpdir(), "slipway-regex-bad-"));
  writeFileSync(join(work, "app.yaml"), plain);

  const flag = await cli(
    ["secrets", "encrypt", "--age", recipient, "--encrypted-regex", "(?=x)", "app.yaml"],
    work,
  );
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /^error: --encrypted-regex "\(\?=x\)": invalid regular expression .*Perl syntax/);

  for (const [field, line] of [
    ["path_regex", `  - path_regex: "("\n    age: ${recipient}\n`],
    ["encrypted_regex", `  - encrypted_regex: '(?<=a)b'\n    age: ${recipient}\n`],
  ] as const) {
    writeFileSync(join(work, ".sops.yaml"), `creation_rules:\n${line}`);
    const r = await cli(["secrets", "encrypt", "app.yaml"], work);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`\\.sops\\.yaml:2:\\d+: creation_rules\\.0\\.${field}: invalid regular expression`),
    );
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  }
  writeFileSync(
    join(work, ".sops.yaml"),
    `creation_rules:\n  - path_regex: a{2000}\n    age: ${recipient}\n`,
  );
  assert.match((await cli(["secrets", "encrypt", "app.yaml"], work)).stderr, /invalid repeat count/);

  writeFileSync(join(work, ".sops.yaml"), `creation_rules:\n  - age: ${recipient}\n`);
  assert.equal((await cli(["secrets", "encrypt", "-i", "app.yaml"], work)).code, 0);
  const text = readFileSync(join(work, "app.yaml"), "utf8");
  writeFileSync(
    join(work, "app.yaml"),
    text.replace("unencrypted_suffix: _unencrypted", "encrypted_regex: ("),
  );
  const meta = await cli(["secrets", "decrypt", "app.yaml"], work);
  assert.equal(meta.code, 1);
  assert.match(meta.stderr, /^error: app\.yaml: sops\.encrypted_regex: invalid regular expression "\("/);
  const long = `^(${"a".repeat(MAX_REGEX_LENGTH)})$`;
  writeFileSync(
    join(work, "app.yaml"),
    text.replace("unencrypted_suffix: _unencrypted", `encrypted_regex: ${long}`),
  );
  const capped = await cli(["secrets", "decrypt", "app.yaml"], work);
  assert.match(
    capped.stderr,
    new RegExp(
      `sops\\.encrypted_regex: the regular expression is ${long.length} characters long; at most ${MAX_REGEX_LENGTH}`,
    ),
  );
});

test("a catastrophic-backtracking regex in a file's metadata runs in linear time", async () => {
  const longKey = `${"a".repeat(30)}!`;
  const ours = await encryptDocument(Buffer.from(`password: hunter2\n"${longKey}": clear\n`), {
    file: "redos.yaml",
    keys,
    now: new Date(),
    keyGroups: [[{ type: "age", recipient }]],
    selectors: { encryptedRegex: "^password$" },
  });
  // The same selection (the long key does not match either), so the MAC still verifies.
  const hostile = ours.replace("encrypted_regex: ^password$", "encrypted_regex: ^(\\w+\\s?)*$");
  assert.notEqual(hostile, ours);
  const started = performance.now();
  const doc = await openDocument(Buffer.from(hostile), { file: "redos.yaml", keys });
  const ms = performance.now() - started;
  assert.deepEqual(doc.branches.map(toJsonValue), [{ password: "hunter2", [longKey]: "clear" }]);
  // JavaScript's backtracking engine needs seconds here, doubling with each character of the key.
  assert.ok(ms < 1000, `decrypting took ${ms.toFixed(0)} ms`);
});
