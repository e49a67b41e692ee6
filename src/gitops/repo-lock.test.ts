import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { isSlipwayError } from "../core/errors.ts";
import { withRepoLock } from "./repo-lock.ts";

const lockPath = () => join(mkdtempSync(join(tmpdir(), "slipway-lock-")), "deploy.lock");

test("two holders of the same lock run one after the other, never interleaved", async () => {
  const path = lockPath();
  const log: string[] = [];
  const job = (name: string) =>
    withRepoLock(path, async () => {
      log.push(`${name} start`);
      await sleep(30);
      log.push(`${name} end`);
    });
  await Promise.all([job("a"), job("b")]);
  assert.deepEqual(
    log.slice(0, 2).map((l) => l.split(" ")[1]),
    ["start", "end"],
  );
  assert.equal(log[0]?.split(" ")[0], log[1]?.split(" ")[0]);
});

test("a lock held by a live process times out with a conflict naming the holder", async () => {
  const path = lockPath();
  writeFileSync(path, `${process.pid}@${hostname()}\n`);
  const error = await withRepoLock(path, async () => "ran", { timeoutMs: 100 }).catch((e: unknown) => e);
  assert.ok(isSlipwayError(error) && error.code === "SLIPWAY_E_CONFLICT", String(error));
  assert.match(error.message, new RegExp(`${process.pid}@`));
});

test("a lock left by a process that died is taken over", async () => {
  const path = lockPath();
  const dead = spawnSync(process.execPath, ["-e", "process.pid"]).pid;
  writeFileSync(path, `${dead}@${hostname()}\n`);
  assert.equal(await withRepoLock(path, async () => "ran", { timeoutMs: 1000 }), "ran");
});

test("another process holding the lock is waited for", async () => {
  const path = lockPath();
  const moduleUrl = new URL("./repo-lock.ts", import.meta.url).href;
  // A second process takes the lock, holds it for a moment, and prints when it let go.
  const script = `
    const { withRepoLock } = await import(${JSON.stringify(moduleUrl)});
    await withRepoLock(${JSON.stringify(path)}, async () => {
      process.stdout.write("held\\n");
      await new Promise((r) => setTimeout(r, 400));
    });
    process.stdout.write("released " + Date.now() + "\\n");`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  while (!output.includes("held")) await sleep(10);

  const startedAt = await withRepoLock(path, async () => Date.now());

  assert.equal(await exited, 0);
  const releasedAt = Number(/released (\d+)/.exec(output)?.[1]);
  assert.ok(startedAt >= releasedAt, `ours started at ${startedAt}, theirs released at ${releasedAt}`);
});
