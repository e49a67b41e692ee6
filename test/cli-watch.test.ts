/**
 * A deployment asked for over the API is run by the server's engine, and `slipway deployments
 * watch` shows it live until it settles: exit 0 when available, 1 when it failed.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { memoryIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import { ErrorCode, SlipwayError } from "../src/core/errors.ts";
import type { Executor } from "../src/engine/executor.ts";
import { type RunningServer, startServer } from "../src/server/main.ts";
import { systemActor } from "../src/store/store.ts";

describe("the engine behind the API, watched from the CLI", () => {
  let dataDir: string;
  let server: RunningServer;
  let env: Record<string, string>;
  let release: string;
  const gates = new Map<string, () => void>();
  const executor: Executor = async (job) => {
    await job.record("rendering", "rendering for develop");
    await job.record("applying", "applying 4 objects to the test target");
    await new Promise<void>((resolve) => gates.set(job.deployment.id, resolve));
    if (job.deployment.sequence % 2 === 0) {
      throw new SlipwayError(ErrorCode.RolloutFailed, "web: 0/2 ready after 5m (ImagePullBackOff)");
    }
    await job.record("progressing", "web: 1/2 ready");
    return { status: "available", message: "all workloads available" };
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "slipway-watch-"));
    server = await startServer({
      dataDir,
      listen: "127.0.0.1:0",
      demo: false,
      executor,
      engine: { leaseMs: 2_000 },
      env: {},
      log: () => {},
    });
    env = { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: server.adminToken ?? "" };
    await server.store.createTeam(systemActor, "payments");
    await server.store.createApp(systemActor, { name: "checkout", teamName: "payments", description: "" });
    release = (
      await server.store.createRelease(systemActor, {
        appName: "checkout",
        commitSha: "1234567",
        imageDigest: `sha256:${"a".repeat(64)}`,
        specHash: "1".repeat(64),
        secretsHash: "2".repeat(64),
        commitTime: null,
      })
    ).release.id;
  });
  after(async () => {
    for (const open of gates.values()) open();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function deploy(): Promise<string> {
    const response = await fetch(`${server.url}/api/v1/apps/checkout/deployments`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.SLIPWAY_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ release, target: "develop" }),
    });
    const body = await response.text();
    assert.equal(response.status, 201, body);
    return (JSON.parse(body) as { id: string }).id;
  }

  async function watch(id: string, extra: string[] = []) {
    const io = memoryIo({ env });
    const code = await main(["deployments", "watch", id, ...extra], io);
    return { code, out: io.stdout(), err: io.stderr() };
  }

  async function opened(id: string): Promise<void> {
    for (let i = 0; i < 500 && !gates.has(id); i++) await sleep(10);
    assert.ok(gates.has(id), "the engine took the deployment up");
  }

  test("available: every stage as it happens, then exit 0", async () => {
    const id = await deploy();
    const watching = watch(id);
    await opened(id);
    await sleep(300);
    gates.get(id)?.();
    const result = await watching;
    assert.equal(result.code, 0, result.err);
    const lines = result.out.trim().split("\n");
    assert.equal(lines[0], `${id}: checkout → develop (release ${release})`);
    assert.deepEqual(
      lines.slice(1).map((l) => l.replace(/^\d\d:\d\d:\d\d {2}/, "")),
      [
        "pending      queued",
        "rendering    rendering for develop",
        "applying     applying 4 objects to the test target",
        "progressing  web: 1/2 ready",
        "available    all workloads available",
      ],
    );
  });

  test("failed: the reason, then exit 1; --output json gives one event per line", async () => {
    const id = await deploy();
    await opened(id);
    const watching = watch(id, ["--output", "json"]);
    await sleep(300);
    gates.get(id)?.();
    const result = await watching;
    assert.equal(result.code, 1, result.err);
    const events = result.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { status: string; message: string; seq: number });
    assert.deepEqual(
      events.map((e) => e.status),
      ["pending", "rendering", "applying", "failed"],
    );
    assert.equal(events.at(-1)?.message, "web: 0/2 ready after 5m (ImagePullBackOff)");
  });

  test("a deployment that does not exist, or is not one's to see, is not found (exit 2)", async () => {
    const result = await watch(`dep_${"0".repeat(28)}`);
    assert.equal(result.code, 2);
    assert.match(result.err, /deployment "dep_0{28}" does not exist/);
  });
});
