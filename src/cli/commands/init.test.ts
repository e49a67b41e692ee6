/** `slipway init` on first contact: a folder that does not exist yet, odd project files, next steps that work. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { memoryIo } from "../io.ts";
import { main } from "../main.ts";

async function run(argv: string[], cwd: string) {
  const io = memoryIo({ cwd });
  const code = await main(argv, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

const bin = new URL("../../../bin/slipway.js", import.meta.url).pathname;

/** Runs a `slipway …` line as printed, as a user would in `cwd` (the hints need no quoting here). */
function runAsPrinted(line: string, cwd: string): { code: number | null; stdout: string; stderr: string } {
  const [slipway, ...args] = line.trim().split(/\s+/);
  assert.equal(slipway, "slipway", line);
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("init my-service creates the folder, and the commands it suggests work as printed", async () => {
  const cwd = mkdtempSync(join(tmpdir(), "slipway-init-new-"));
  const result = await run(["init", "my-service"], cwd);
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, "no stack trace");
  const spec = join(cwd, "my-service", "slipway.yaml");
  assert.ok(existsSync(spec));
  assert.match(result.stdout, /^created my-service\/; wrote my-service\/slipway\.yaml/);
  assert.match(readFileSync(spec, "utf8"), /^name: my-service$/m);

  const suggested = result.stdout.split("\n").filter((l) => l.trim().startsWith("slipway "));
  assert.equal(suggested.length, 2, result.stdout);
  for (const line of suggested) {
    const ran = runAsPrinted(line, cwd);
    assert.equal(ran.code, 0, `${line}\n${ran.stderr}`);
  }
  // The hint inside the file is meant to be run from the app's directory.
  const inFile = readFileSync(spec, "utf8").match(/^#\s+(slipway render .*)$/m)?.[1];
  assert.ok(inFile, "the starter names a render command");
  const rendered = runAsPrinted(inFile, join(cwd, "my-service"));
  assert.equal(rendered.code, 0, `${inFile}\n${rendered.stderr}`);
  assert.match(rendered.stdout, /kind: Deployment/);
});

test("init treats a package.json that is a directory as no project file, and refuses a file as the folder", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-init-odd-"));
  mkdirSync(join(dir, "package.json"));
  const result = await run(["init", "."], dir);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /unknown: port 8080/);

  writeFileSync(join(dir, "notes.txt"), "x");
  const onFile = await run(["init", "notes.txt"], dir);
  assert.equal(onFile.code, 2);
  assert.match(onFile.stderr, /^error: notes\.txt is not a directory/);
});
