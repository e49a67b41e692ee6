/**
 * The README's first steps, end to end: `slipway serve --demo` as a real process on embedded
 * defaults, then `slipway login`, `apps`, `releases`, `deployments`, `status` in-process against
 * it, as a newcomer would type them. The demo's releases are made from git and moved through the
 * channels by the server's engine and promotions; a second start on the same data directory adds
 * nothing.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { memoryIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));

interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stdout: () => string;
  /** Seconds from the spawn to the demo's "ready" line. */
  readonly readyAfter: number;
}

async function serve(dataDir: string): Promise<Served> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [join(repo, "bin/slipway.js"), "serve", "--demo", "--data", dataDir, "--listen", "127.0.0.1:0"],
    { cwd: repo, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /listening on (http:\/\/\S+)/.exec(out);
      // The engine deploys the demo's releases once the server listens: wait until it has.
      if (match?.[1] && /^demo: ready/m.test(err)) {
        clearInterval(timer);
        resolve(match[1]);
      }
    }, 50);
    child.once("exit", (code) => {
      clearInterval(timer);
      reject(new Error(`slipway serve exited with ${code}: ${err}`));
    });
  });
  return { child, url, stdout: () => out, readyAfter: (performance.now() - started) / 1000 };
}

async function stop(served: Served): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => served.child.once("exit", (code) => resolve(code)));
  served.child.kill("SIGTERM");
  return exited;
}

describe("slipway serve --demo, then the CLI", () => {
  let dataDir: string;
  let configHome: string;
  let served: Served;
  let env: Record<string, string>;

  async function cli(argv: string[], stdin?: string) {
    const io = memoryIo({ env, ...(stdin === undefined ? {} : { stdin }) });
    const code = await main(argv, io);
    return { code, out: io.stdout(), err: io.stderr() };
  }

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "slipway-serve-"));
    configHome = mkdtempSync(join(tmpdir(), "slipway-config-"));
    env = { XDG_CONFIG_HOME: configHome };
    served = await serve(dataDir);
  });
  after(async () => {
    if (served.child.exitCode === null) await stop(served);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(configHome, { recursive: true, force: true });
  });

  test("before login, list commands say how to log in", async () => {
    const result = await cli(["apps"]);
    assert.equal(result.code, 1);
    assert.match(result.err, /not logged in: run `slipway login --server <url>`/);
  });

  test("login with the admin token printed once, then list apps, releases and deployments", async () => {
    const token = /(slw_[A-Za-z0-9_-]{43})/.exec(served.stdout())?.[1];
    assert.ok(token, `the first start prints an admin token: ${served.stdout()}`);
    const bad = await cli(["login", "--server", served.url], "slw_wrong");
    assert.equal(bad.code, 1);
    assert.match(bad.err, /not valid/);

    const login = await cli(["login", "--server", served.url], `${token}\n`);
    assert.equal(login.code, 0, login.err);
    assert.match(login.out, /logged in to .* as Bootstrap administrator/);
    const config = join(configHome, "slipway", "config.json");
    assert.equal(statSync(config).mode & 0o777, 0o600, "the token file is private");
    assert.ok(readFileSync(config, "utf8").includes(token));

    const apps = await cli(["apps"]);
    assert.equal(apps.code, 0, apps.err);
    assert.match(apps.out, /^NAME\s+TEAM\s+UPDATED\s+DESCRIPTION$/m);
    assert.match(apps.out, /^cart\s+commerce\s/m);
    const json = JSON.parse((await cli(["apps", "--output", "json"])).out) as { items: { name: string }[] };
    // Every example app is registered: those with processes, CronJobs and deploy-time Jobs too.
    const exampleApps = readdirSync(join(repo, "examples"), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(repo, "examples", d.name, "slipway.yaml")))
      .map((d) => d.name)
      .sort();
    assert.deepEqual(
      json.items.map((a) => a.name),
      exampleApps,
    );
    assert.ok(exampleApps.includes("helpdesk") && exampleApps.includes("reports"), exampleApps.join(", "));

    const releases = await cli(["releases", "cart"]);
    assert.equal(releases.out.trim().split("\n").length, 3, "a header and two releases");
    const deployments = JSON.parse((await cli(["deployments", "cart", "--output", "json"])).out) as {
      items: { targetName: string; status: string; releaseId: string }[];
    };
    const channels = ["develop", "integration", "staging", "beta", "stable"];
    const live = deployments.items
      .filter((d) => d.status !== "superseded")
      .map((d) => `${d.targetName}:${d.status}`);
    assert.deepEqual(live.sort(), channels.map((c) => `${c}:available`).sort());
    // The first release went all the way; the second followed it to beta.
    const [second, first] = JSON.parse((await cli(["releases", "cart", "--output", "json"])).out).items as {
      id: string;
    }[];
    const ran = (release: string) =>
      channels.filter((c) => deployments.items.some((d) => d.targetName === c && d.releaseId === release));
    assert.deepEqual(ran(first!.id), channels);
    assert.deepEqual(ran(second!.id), channels.slice(0, 4));
    const staging = await cli(["deployments", "cart", "--target", "staging", "--limit", "1"]);
    assert.match(staging.out, /^staging\s+2\s+available/m);
    assert.match(staging.err, /more: --cursor /);

    // The channel matrix: the second release waits for an approval to go to stable.
    const status = await cli(["status", "cart"]);
    assert.equal(status.code, 0, status.err);
    assert.match(
      status.out,
      new RegExp(`^stable\\s+${first!.id}\\s.*available.*${second!.id} from beta: waiting$`, "m"),
    );
    assert.match(status.out, /approvals: 0 of 1 approval for stable/);
    const mailer = await cli(["status", "mailer"]);
    assert.match(mailer.out, /✗ approvals: rejected for stable by demo-reviewer/);

    const missing = await cli(["releases", "nope"]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /app "nope" does not exist/);
    assert.equal((await cli(["apps", "--limit", "0"])).code, 2);
  });

  test("the demo is ready within a minute of the start, however loaded the machine", (t) => {
    // Measured from the spawn: the engine deploys every step. About 6 s on a quiet 2-core
    // machine; the bound catches a demo that stalls, not a slow neighbour in a parallel run.
    t.diagnostic(`demo ready after ${served.readyAfter.toFixed(1)} s`);
    assert.ok(served.readyAfter < 60, `ready after ${served.readyAfter.toFixed(1)} s`);
  });

  test("the API answers the same with the token; a restart prints no new token and adds no demo rows", async () => {
    const token = /(slw_[A-Za-z0-9_-]{43})/.exec(served.stdout())?.[1];
    const get = async (path: string) =>
      (
        (await (
          await fetch(`${served.url}${path}`, { headers: { authorization: `Bearer ${token}` } })
        ).json()) as { items: { name: string }[] }
      ).items;
    /** Every app's releases and deployments, as the API lists them. */
    const rows = async () => {
      const out: Record<string, number> = {};
      for (const { name } of await get("/api/v1/apps?limit=100")) {
        out[`${name} releases`] = (await get(`/api/v1/apps/${name}/releases?limit=100`)).length;
        out[`${name} deployments`] = (await get(`/api/v1/apps/${name}/deployments?limit=100`)).length;
      }
      return out;
    };
    const before = await rows();
    assert.ok((before["cart deployments"] ?? 0) > 0, JSON.stringify(before));
    assert.equal(await stop(served), 0);
    served = await serve(dataDir);
    assert.doesNotMatch(served.stdout(), /slw_/, "the admin token is shown only on the first start");
    assert.deepEqual(await rows(), before);
  });
});
