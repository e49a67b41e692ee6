/**
 * The canary: deploy an app whose SOPS-encrypted secret holds a known value, through every
 * command a user runs, and search everything the run leaves behind — every line printed, every
 * file and every git object of the GitOps repository, the app's directory, new files in the
 * temporary directories — for that value. It must be nowhere, and yet it must have arrived: the
 * Secret committed for the cluster decrypts to it with the cluster's key.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { parse } from "yaml";
import { memoryIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import { AgeKeyBackend } from "../src/secrets/backends/age.ts";
import { encryptDocument, openDocument } from "../src/secrets/format/sops-file.ts";
import { KeyRing } from "../src/secrets/key-ring.ts";
import { secretEntries } from "../src/secrets/values.ts";

const CANARY = `canary-${Date.now().toString(36)}-b7e1d9f0c3a2`;
const CANARY_B64 = Buffer.from(CANARY).toString("base64");
const IMAGE = `registry.example.com/shop/cart@sha256:${"c".repeat(64)}`;

function filesUnder(dir: string, since = 0): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return; // a directory another process removed meanwhile, or one we may not read
    }
    for (const e of entries) {
      const path = join(d, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.isFile()) {
        // Other tests run beside this one: a file listed a moment ago may be gone (a released lock).
        const stat = statSync(path, { throwIfNoEntry: false });
        if (stat !== undefined && stat.mtimeMs >= since && stat.size < 8 * 1024 * 1024) out.push(path);
      }
    }
  };
  walk(dir);
  return out;
}

function assertNoCanary(where: string, text: string): void {
  assert.ok(!text.includes(CANARY), `the secret value leaked into ${where}`);
  assert.ok(!text.includes(CANARY_B64), `the secret value (base64) leaked into ${where}`);
}

test("a secret value reaches the cluster's Secret and appears in no output, file or git object", async () => {
  const started = Date.now() - 1000;
  const root = mkdtempSync(join(tmpdir(), "slipway-canary-"));
  const developer = await generateIdentity();
  const flux = await generateIdentity();
  const developerKeys = new KeyRing([new AgeKeyBackend([developer])]);
  const appDir = join(root, "cart");
  mkdirSync(join(appDir, "secrets"), { recursive: true });
  writeFileSync(
    join(appDir, "secrets", "develop.enc.yaml"),
    await encryptDocument(
      new TextEncoder().encode(`DATABASE_PASSWORD: ${CANARY}\nAPI_TOKEN: also-secret\n`),
      {
        file: "secrets/develop.enc.yaml",
        keyGroups: [[{ type: "age", recipient: await identityToRecipient(developer) }]],
        keys: developerKeys,
        now: new Date(),
      },
    ),
  );
  writeFileSync(
    join(appDir, "slipway.yaml"),
    `apiVersion: slipway.dev/v1\nkind: App\nname: cart\nteam: shop\nimage: { repository: registry.example.com/shop/cart }\nports: [{ name: http, port: 8080 }]\nsecrets:\n  - { name: app, file: secrets/develop.enc.yaml }\n`,
  );
  writeFileSync(
    join(root, "slipway.platform.yaml"),
    `apiVersion: slipway.dev/v1\nkind: Platform\nclusters:\n  - name: local\n    gitops:\n      directory: gitops\n      sops: { age: [${await identityToRecipient(flux)}] }\n`,
  );
  const env = { SOPS_AGE_KEY: developer, HOME: root, PATH: process.env.PATH ?? "" };
  const printed: string[] = [];
  const run = async (argv: string[]) => {
    const io = memoryIo({ env, cwd: root });
    const code = await main(argv, io);
    printed.push(`$ slipway ${argv.join(" ")}\n${io.stdout()}${io.stderr()}`);
    return code;
  };
  // The platform file is the operator's, named on the command line: never found from the app.
  const platformFlag = ["--platform", join(root, "slipway.platform.yaml")];
  const app = ["--app", appDir, "--target", "develop", ...platformFlag];
  // The bare app passes develop; validate also reports (exit 1) what stable's policy blocks.
  assert.equal(await run(["validate", "--app", appDir, ...platformFlag]), 1);
  assert.equal(await run(["render", ...app, "--image", IMAGE]), 0);
  assert.equal(await run(["deploy", ...app, "--image", IMAGE, "--dry-run"]), 0);
  assert.equal(await run(["diff", ...app, "--image", IMAGE]), 0);
  assert.equal(await run(["deploy", ...app, "--image", IMAGE]), 0, printed.at(-1) ?? "");
  assert.equal(await run(["deploy", ...app, "--image", IMAGE, "--output", "json"]), 0, printed.at(-1) ?? "");
  assert.equal(await run(["diff", ...app, "--image", IMAGE]), 0);
  // A failing run must not leak either: the wrong key.
  const wrongKey = memoryIo({ env: { ...env, SOPS_AGE_KEY: await generateIdentity() }, cwd: root });
  assert.notEqual(await main(["deploy", ...app, "--image", IMAGE], wrongKey), 0);
  printed.push(wrongKey.stdout() + wrongKey.stderr());

  for (const text of printed) assertNoCanary("the CLI's output", text);
  const gitops = join(root, "gitops");
  for (const file of filesUnder(root)) assertNoCanary(file, readFileSync(file, "latin1"));
  for (const file of [...filesUnder(tmpdir(), started), ...filesUnder("/dev/shm", started)]) {
    if (file.startsWith(root)) continue;
    let text: string;
    try {
      text = readFileSync(file, "latin1");
    } catch {
      continue; // removed by a test running beside this one since it was listed
    }
    assertNoCanary(file, text);
  }
  const objects = execFileSync("git", ["rev-list", "--objects", "--all"], { cwd: gitops, encoding: "utf8" })
    .split("\n")
    .map((line) => line.split(" ")[0])
    .filter((id): id is string => Boolean(id));
  assert.ok(objects.length > 5, "the GitOps repository holds the deploy");
  for (const id of objects) {
    assertNoCanary(
      `git object ${id}`,
      execFileSync("git", ["cat-file", "-p", id], { cwd: gitops, encoding: "latin1" }),
    );
  }

  // And yet it arrived: the committed Secret decrypts, with the cluster's key only, to the canary.
  const secretFile = filesUnder(gitops).find((f) => /secret-cart-app\.yaml$/.test(f));
  assert.ok(secretFile, "the Secret was committed (encrypted)");
  const sealed = readFileSync(secretFile);
  assert.equal((parse(sealed.toString()) as { kind: string }).kind, "Secret");
  const opened = await openDocument(sealed, {
    file: secretFile,
    keys: new KeyRing([new AgeKeyBackend([flux])]),
  });
  const value = secretEntries(opened).find((e) => e.path.join(".") === "data.DATABASE_PASSWORD");
  assert.ok(value, "data.DATABASE_PASSWORD is in the committed Secret");
  assert.equal(Buffer.from(value.value.reveal(), "base64").toString(), CANARY);
  await assert.rejects(
    openDocument(sealed, { file: secretFile, keys: developerKeys }),
    /no master key could unwrap/,
  );
});
