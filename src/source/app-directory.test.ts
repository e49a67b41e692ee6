/**
 * Reading an app's `secrets[].file`: the app's repository is untrusted, so a symbolic link there
 * is refused by what it is, never followed, and the error is the same whatever the link points at.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isSlipwayError } from "../core/errors.ts";
import { appDirectoryFiles } from "./app-directory.ts";

const tempDir = () => mkdtempSync(join(tmpdir(), "slipway-secret-source-"));

function appWithLinks(): { app: string; outside: string } {
  const app = tempDir();
  const outside = tempDir();
  writeFileSync(join(outside, "shadow"), "root:$6$not-for-you:19000:0:99999:7:::\n");
  mkdirSync(join(app, "secrets"));
  writeFileSync(join(app, "secrets/develop.enc.yaml"), "API_KEY: ENC[…]\n");
  symlinkSync(join(outside, "shadow"), join(app, "secrets/existing.enc.yaml"));
  symlinkSync(join(outside, "no-such-file"), join(app, "secrets/missing.enc.yaml"));
  symlinkSync(outside, join(app, "linked-dir"));
  return { app, outside };
}

const readError = (app: string, file: string) =>
  appDirectoryFiles(app)
    .read(file)
    .then(
      () => assert.fail(`${file} was read`),
      (error: unknown) => error,
    );

test("a secret file that is a symbolic link is refused, with one error whether or not its target exists", async () => {
  const { app } = appWithLinks();
  const existing = await readError(app, "secrets/existing.enc.yaml");
  const missing = await readError(app, "secrets/missing.enc.yaml");

  for (const error of [existing, missing]) {
    assert.ok(isSlipwayError(error) && error.code === "SLIPWAY_E_INPUT", String(error));
    assert.match(
      error.message,
      /^secret file secrets\/\w+\.enc\.yaml \(named in slipway\.yaml\) is a symbolic link/,
    );
    assert.doesNotMatch(error.message, /shadow|no-such-file|not-for-you/);
  }
  assert.equal(
    (existing as Error).message.replace("existing", "X"),
    (missing as Error).message.replace("missing", "X"),
    "no existence oracle",
  );
});

test("a secret file under a linked directory is refused; a regular file inside the app is read", async () => {
  const { app } = appWithLinks();
  const error = await readError(app, "linked-dir/shadow");
  assert.ok(isSlipwayError(error) && error.code === "SLIPWAY_E_INPUT", String(error));
  assert.match(
    error.message,
    /^secret file linked-dir\/shadow \(named in slipway\.yaml\) is a symbolic link, lies under one/,
  );

  const bytes = await appDirectoryFiles(app).read("secrets/develop.enc.yaml");
  assert.equal(new TextDecoder().decode(bytes), "API_KEY: ENC[…]\n");

  const absent = await readError(app, "secrets/prod.enc.yaml");
  assert.match(
    String((absent as Error).message),
    /^secret file secrets\/prod\.enc\.yaml \(named in slipway\.yaml\) does not exist in/,
  );
  const outside = await readError(app, "../outside.enc.yaml");
  assert.match(String((outside as Error).message), /must be inside the app directory/);
});
