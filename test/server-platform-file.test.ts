/**
 * `serve --platform`: the platform file is the server's one source of channels. The targets table
 * follows it at start and on reload; a file that fails validation keeps the last good platform,
 * says why in the log, and `/readyz` reports the platform as stale until a good file is read.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { type RunningServer, startServer } from "../src/server/main.ts";

const examplePlatform = readFileSync(
  resolve(import.meta.dirname, "../examples/slipway.platform.yaml"),
  "utf8",
);

async function targetNames(server: RunningServer): Promise<string[]> {
  return (await server.store.listTargets({ limit: 200 })).items.map((t) => t.name).sort();
}

async function readyz(server: RunningServer): Promise<unknown> {
  return (await fetch(`${server.url}/readyz`)).json();
}

describe("serve --platform", () => {
  let server: RunningServer;
  let file: string;
  const logs: string[] = [];

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-platform-file-"));
    file = join(dir, "platform.yaml");
    writeFileSync(file, examplePlatform);
    server = await startServer({
      dataDir: dir,
      listen: "127.0.0.1:0",
      demo: false,
      platformFile: file,
      env: {},
      log: (line) => logs.push(line),
    });
  });
  after(() => server.close());

  test("at start, every channel of the file is a target", async () => {
    assert.deepEqual(await targetNames(server), ["beta", "develop", "integration", "stable", "staging"]);
    assert.deepEqual(await readyz(server), { status: "ready", platform: "current" });
  });

  test("an invalid file keeps the last good platform, says why, and /readyz says stale", async () => {
    writeFileSync(
      file,
      examplePlatform.replace(
        'cluster: local\n    namespace: "{team}-develop"',
        'cluster: nowhere\n    namespace: "{team}-develop"',
      ),
    );
    const status = await server.platform.reload();
    assert.equal(status.stale, true);
    assert.match(status.error ?? "", /platform\.yaml:\d+:\d+/);
    assert.match(status.error ?? "", /nowhere/);
    assert.ok(
      logs.some((l) =>
        l.startsWith(`platform: ${file} was not reloaded, the server keeps the platform read at`),
      ),
      logs.join("\n"),
    );
    // Still the last good platform: its channels, its clusters.
    const channels = server.platform.current().platform.platform.channels;
    assert.equal(channels.find((c) => c.name === "develop")?.cluster, "local");
    assert.deepEqual(await readyz(server), { status: "ready", platform: "stale" });
  });

  test("a good file again: the new channel becomes a target and the platform is current", async () => {
    writeFileSync(
      file,
      examplePlatform.replace(
        "channels:\n",
        "channels:\n  - name: canary\n    cluster: local\n    domain: canary.apps.example.com\n",
      ),
    );
    const status = await server.platform.reload();
    assert.equal(status.stale, false, status.error ?? "");
    assert.ok((await targetNames(server)).includes("canary"));
    assert.deepEqual(await readyz(server), { status: "ready", platform: "current" });
  });

  test("a change on disk is picked up without a signal", async () => {
    writeFileSync(
      file,
      examplePlatform.replace(
        "channels:\n",
        "channels:\n  - name: nightly\n    cluster: local\n    domain: nightly.apps.example.com\n",
      ),
    );
    const deadline = Date.now() + 10_000;
    while (!(await targetNames(server)).includes("nightly")) {
      assert.ok(Date.now() < deadline, "the file change was not picked up within 10 s");
      await new Promise((r) => setTimeout(r, 200));
    }
    // canary is gone from the file: kept in the table (history), and the log says so.
    assert.ok(
      logs.some((l) => /channel\(s\) canary are in the targets table but not in the platform file/.test(l)),
    );
  });
});
