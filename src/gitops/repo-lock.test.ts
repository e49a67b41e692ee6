import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { isSlipwayError } from "../core/errors.ts";
import { describeHolder, withRepoLock } from "./repo-lock.ts";

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
  assert.match(error.message, new RegExp(`pid ${process.pid} on `));
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

test("contenders racing to take over a dead lock never hold it at the same time", async () => {
  // Each round leaves a lock whose owner died; eight contenders, each a few event-loop turns after
  // the one before, see it dead and take it over while the others are at other steps of theirs.
  // Each marks its turn with an exclusive file: a second marker at the same time is two holders.
  const dead = spawnSync(process.execPath, ["-e", "process.pid"]).pid;
  for (let round = 0; round < 30; round++) {
    const path = lockPath();
    writeFileSync(path, `${dead}@${hostname()}\n`);
    const turn = `${path}.turn`;
    let overlaps = 0;
    const contender = async (_: unknown, index: number) => {
      for (let i = 0; i < index; i++) await new Promise((resolve) => setImmediate(resolve));
      await withRepoLock(
        path,
        async () => {
          try {
            writeFileSync(turn, "", { flag: "wx" });
          } catch {
            overlaps++;
            return;
          }
          await sleep(2);
          rmSync(turn);
        },
        { timeoutMs: 10_000, pollMs: 1 },
      );
    };
    await Promise.all(Array.from({ length: 8 }, contender));
    assert.equal(overlaps, 0, `round ${round}: two contenders held the lock at once`);
    assert.deepEqual(readdirSync(dirname(path)), [], "no lock, staging or takeover file is left");
  }
});

test("a wait for another deploy's lock says once who holds it and since when", async () => {
  const path = lockPath();
  const since = new Date(Date.now() - 42_000).toISOString();
  writeFileSync(
    path,
    `${JSON.stringify({ pid: process.pid, host: hostname(), since, purpose: "deploy cart to develop", token: "t" })}\n`,
  );
  const told: string[] = [];
  const error = await withRepoLock(path, async () => "ran", {
    timeoutMs: 300,
    pollMs: 20,
    onWait: (holder, timeoutMs) => told.push(`${describeHolder(holder)} / ${timeoutMs}`),
  }).catch((e: unknown) => e);

  assert.equal(told.length, 1, told.join("\n"));
  assert.match(
    told[0] ?? "",
    new RegExp(
      `^deploy cart to develop, pid ${process.pid} on .+, since ${since.slice(0, 19)}Z \\(4[2-3] s ago\\) / 300$`,
    ),
  );
  assert.ok(isSlipwayError(error) && error.code === "SLIPWAY_E_CONFLICT", String(error));
  assert.match(error.message, /another deploy \(deploy cart to develop, pid \d+ on .+, since .+\) holds/);
});
