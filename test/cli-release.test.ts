/**
 * `slipway release create` end to end: a real `slipway serve` process (allowed to read local
 * repositories), a real git repository in a temporary directory, and the CLI in-process against
 * the server as a CI job runs it — in the app's checkout, with SLIPWAY_SERVER and SLIPWAY_TOKEN.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { memoryIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import {
  appSpec,
  commitFiles,
  encrypted,
  imageAt,
  newRepository,
  removeRepository,
} from "./support/release-repos.ts";

const checkout = fileURLToPath(new URL("..", import.meta.url));

describe("slipway release create against slipway serve", () => {
  let dataDir: string;
  let child: ChildProcess;
  let env: Record<string, string>;
  let repo: string;
  let commit: string;

  async function cli(argv: string[], cwd = repo) {
    const io = memoryIo({ env, cwd });
    const code = await main(argv, io);
    return { code, out: io.stdout(), err: io.stderr() };
  }

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "slipway-serve-release-"));
    child = spawn(
      process.execPath,
      [
        join(checkout, "bin/slipway.js"),
        "serve",
        "--data",
        dataDir,
        "--listen",
        "127.0.0.1:0",
        "--allow-local-repositories",
      ],
      { cwd: dataDir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SLIPWAY_PLATFORM: "" } },
    );
    let out = "";
    let err = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString("utf8");
    });
    const server = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match?.[1] && /slw_/.test(out)) {
          clearInterval(timer);
          resolve(match[1]);
        }
      }, 50);
      child.once("exit", (code) => {
        clearInterval(timer);
        reject(new Error(`slipway serve exited with ${code}: ${err}`));
      });
    });
    const token = /(slw_[A-Za-z0-9_-]{43})/.exec(out)?.[1] ?? "";
    env = { SLIPWAY_SERVER: server, SLIPWAY_TOKEN: token };
    // The platform administrator registers the team and the app, as an operator would.
    const call = async (path: string, body: unknown) => {
      const response = await fetch(`${server}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      assert.ok(response.ok, `${path}: ${response.status} ${await response.text()}`);
    };
    await call("/api/v1/teams", { name: "payments" });
    await call("/api/v1/apps", { name: "checkout", team: "payments" });

    repo = newRepository();
    commit = commitFiles(
      repo,
      {
        "apps/checkout/slipway.yaml": appSpec(),
        "apps/checkout/secrets/app.enc.yaml": await encrypted("password: hunter2\n"),
      },
      "checkout: pay by invoice\n\nThe body of the message.",
    );
  });

  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
    removeRepository(repo);
  });

  test("creates the release from the checkout's commit, then finds the same one again", async () => {
    // In the checkout, as CI runs it: the app's name comes from apps/checkout/slipway.yaml, and the
    // repository is given as a relative path.
    const made = await cli([
      "release",
      "create",
      "--repo",
      ".",
      "--path",
      "apps/checkout",
      "--commit",
      commit,
      "--image",
      imageAt(1),
    ]);
    assert.equal(made.code, 0, made.err);
    assert.match(
      made.out,
      new RegExp(`^created release rel_[0-9a-f]{28} of checkout at ${commit.slice(0, 12)} with sha256:0101`),
    );
    assert.match(made.out, /^ {2}checkout: pay by invoice$/m);

    const again = await cli(
      [
        "release",
        "create",
        "--repo",
        relative(tmpdir(), repo),
        "--path",
        "apps/checkout",
        "--commit",
        commit,
        "--image",
        imageAt(1),
        "--app",
        "checkout",
        "--output",
        "json",
      ],
      tmpdir(),
    );
    assert.equal(again.code, 0, again.err);
    const body = JSON.parse(again.out) as {
      created: boolean;
      release: { id: string; commitAuthor: string; commitTime: string; repository: string };
    };
    assert.equal(body.created, false);
    assert.equal(body.release.id, /rel_[0-9a-f]{28}/.exec(made.out)?.[0]);
    assert.equal(body.release.commitAuthor, "Ada Author <ada@example.test>");
    assert.equal(body.release.commitTime, "2026-11-30T10:00:00.000Z");
    assert.equal(body.release.repository, repo);

    const listed = await cli(["releases", "checkout"]);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, new RegExp(`^rel_[0-9a-f]{28}\\s+${commit.slice(0, 12)}\\s`, "m"));
  });

  test("refusals exit 2 with the server's reason, and create nothing", async () => {
    const tagged = await cli([
      "release",
      "create",
      "--repo",
      repo,
      "--path",
      "apps/checkout",
      "--commit",
      commit,
      "--image",
      "registry.example.com/payments/checkout:1.4.2",
    ]);
    assert.equal(tagged.code, 2);
    assert.match(tagged.err, /has no digest: a release names its image by digest/);

    const broken = commitFiles(
      repo,
      { "apps/checkout/slipway.yaml": appSpec({ extra: "replcas: 2\n" }) },
      "typo",
    );
    const invalid = await cli([
      "release",
      "create",
      "--repo",
      repo,
      "--path",
      "apps/checkout",
      "--commit",
      broken,
      "--image",
      imageAt(2),
    ]);
    assert.equal(invalid.code, 2);
    assert.match(invalid.err, new RegExp(`apps/checkout/slipway\\.yaml at commit ${broken}`));

    const noApp = await cli(
      ["release", "create", "--repo", repo, "--commit", commit, "--image", imageAt(2)],
      tmpdir(),
    );
    assert.equal(noApp.code, 2);
    assert.match(noApp.err, /which app\? .* pass --app <name>/);

    const listed = await cli(["releases", "checkout", "--output", "json"]);
    assert.equal((JSON.parse(listed.out) as { items: unknown[] }).items.length, 1);
  });
});
