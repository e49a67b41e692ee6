/**
 * Promotion end to end on a GitOps repository, through `startServer` (engine and promoter running)
 * and the CLI: a release read from git deploys itself to develop and is promoted to staging by
 * itself; stable waits for an approval from someone other than the release's creator; the same
 * digest and spec land in every channel; a rollback puts the earlier release back as a new commit;
 * the line stop holds everything and shows in `slipway status`.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { AppStatus } from "../src/api/promotion.ts";
import { memoryIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import { issueToken } from "../src/server/auth/api-tokens.ts";
import { type RunningServer, startServer } from "../src/server/main.ts";
import { systemActor } from "../src/store/store.ts";
import { appSpec, commitFiles, imageAt, newRepository, removeRepository } from "./support/release-repos.ts";

const clean = [
  "resources:",
  "  requests: { cpu: 100m, memory: 64Mi }",
  "  limits: { memory: 128Mi }",
  "health:",
  "  readiness:",
  "    http: { path: /ready, port: http }",
].join("\n");

describe("promotion on a GitOps repository, through the CLI", () => {
  let dir: string;
  let repo: string;
  let server: RunningServer;
  let admin = "";
  let reviewer = "";
  const releases: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "slipway-promotion-e2e-"));
    execFileSync("git", ["init", "-q", "-b", "main", join(dir, "gitops")]);
    const platformFile = join(dir, "slipway.platform.yaml");
    writeFileSync(
      platformFile,
      [
        "apiVersion: slipway.dev/v1",
        "kind: Platform",
        "clusters:",
        "  - { name: repo, gitops: { directory: gitops } }",
        "channels:",
        "  - { name: develop, cluster: repo }",
        "  - { name: staging, cluster: repo, promote: auto }",
        "  - { name: stable, cluster: repo, gates: { approvals: 1 } }",
        "",
      ].join("\n"),
    );
    server = await startServer({
      dataDir: join(dir, "data"),
      listen: "127.0.0.1:0",
      demo: false,
      platformFile,
      allowLocalRepositories: true,
      env: {},
      log: () => {},
    });
    admin = server.adminToken ?? "";
    await server.store.createTeam(systemActor, "payments");
    await server.store.createApp(systemActor, { name: "shop", teamName: "payments", description: "" });
    const user = await server.store.ensureUser(systemActor, {
      subject: "test:reviewer",
      displayName: "reviewer",
    });
    await server.store.setMembership(systemActor, "payments", user.id, "releaser");
    reviewer = (await issueToken(server.store, systemActor, { userId: user.id, name: "t", expiresAt: null }))
      .secret;
    repo = newRepository();
  });
  after(async () => {
    await server?.close();
    removeRepository(repo);
    rmSync(dir, { recursive: true, force: true });
  });

  async function cli(token: string, ...argv: string[]) {
    const io = memoryIo({ env: { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: token, HOME: dir } });
    const code = await main(argv, io);
    return { code, out: io.stdout(), err: io.stderr() };
  }
  async function status(): Promise<AppStatus> {
    const { code, out, err } = await cli(admin, "status", "shop", "-o", "json");
    assert.equal(code, 0, err);
    return JSON.parse(out) as AppStatus;
  }
  /** Until every channel named runs the release named, each available. */
  async function until(want: Record<string, string | null>): Promise<AppStatus> {
    const end = Date.now() + 60_000;
    for (;;) {
      const s = await status();
      const now = Object.fromEntries(
        s.channels.map((c) => [c.name, c.live?.status === "available" ? (c.release?.id ?? null) : null]),
      );
      const latestSettled = s.channels.every(
        (c) =>
          c.latest === null || !["pending", "rendering", "applying", "progressing"].includes(c.latest.status),
      );
      if (latestSettled && Object.entries(want).every(([k, v]) => now[k] === v)) return s;
      assert.ok(Date.now() < end, `waiting for ${JSON.stringify(want)}; now ${JSON.stringify(now)}`);
      await sleep(100);
    }
  }
  async function release(n: number) {
    const commit = commitFiles(
      repo,
      { "slipway.yaml": appSpec({ name: "shop", secrets: [], extra: `description: v${n}\n${clean}` }) },
      `shop v${n}`,
    );
    const response = await fetch(`${server.url}/api/v1/apps/shop/releases`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ repository: repo, commit, image: imageAt(n) }),
    });
    assert.equal(response.status, 201, await response.clone().text());
    releases.push(((await response.json()) as { release: { id: string } }).release.id);
  }
  const deploymentFile = (channel: string) => {
    const where = join(dir, "gitops", channel, "shop");
    const file = readdirSync(where).find((f) => f.toLowerCase().startsWith("deployment"));
    return readFileSync(join(where, file!), "utf8");
  };
  const image = (yaml: string) => /image: (\S+)/.exec(yaml)?.[1];

  test("a release goes to develop by itself, then to staging by the promoter; stable shows its gate", async () => {
    await release(1);
    const s = await until({ develop: releases[0]!, staging: releases[0]!, stable: null });
    assert.equal(s.channels[0]!.live?.cause, "auto-deploy");
    assert.equal(s.channels[1]!.live?.cause, "auto-promotion");
    const text = await cli(admin, "status", "shop");
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /^develop +rel_\w+ +sha256:0101/m);
    assert.match(text.out, /^staging \(auto\) +rel_\w+/m);
    assert.match(
      text.out,
      /into stable \(rel_\w+ from staging\):\n {2}✓ line: the line is running\n(.*\n)* {2}… approvals: 0 of 1 approval for stable/,
    );
  });

  test("stable: the dry run, the gate refusing, an approval by another releaser, then the same digest lands", async () => {
    const dry = await cli(admin, "promote", "shop", "--to", "stable", "--dry-run");
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /dry run: promote shop from staging to stable \(nothing changed\)/);
    assert.match(dry.out, /digest {3}sha256:0101/);
    assert.match(
      dry.out,
      /commits \(1\), newest first:\n {2}[0-9a-f]{12} {2}\d{4}-\d\d-\d\d \d\d:\d\d {2}Ada Author <ada@example\.test> {2}shop v1\n/,
    );
    assert.match(dry.out, /policy: clean in enforce mode/);
    assert.match(dry.out, /\+\+\+ b\/Deployment\/shop-stable\/shop/);
    const held = await cli(admin, "promote", "shop", "--to", "stable");
    assert.notEqual(held.code, 0);
    assert.match(held.err, /held by its gates: approvals waiting — 0 of 1 approval for stable/);
    const self = await cli(admin, "promote", "shop", "--to", "stable", "--approve");
    assert.notEqual(self.code, 0, "the release's creator cannot approve it");
    const approved = await cli(reviewer, "promote", "shop", "--to", "stable", "--approve");
    assert.equal(approved.code, 0, approved.err);
    assert.match(approved.out, new RegExp(`approved release ${releases[0]} for stable`));
    const promoted = await cli(admin, "promote", "shop", "--to", "stable");
    assert.equal(promoted.code, 0, promoted.err);
    assert.match(promoted.out, /deployment dep_\w+ \(#1\) queued/);
    await until({ stable: releases[0]! });
    assert.equal(image(deploymentFile("stable")), image(deploymentFile("develop")));
    assert.match(image(deploymentFile("stable")) ?? "", /@sha256:0101/);
  });

  test("rollback puts the release before back in staging as a new deployment recorded as a rollback", async () => {
    await release(2);
    await until({ develop: releases[1]!, staging: releases[1]!, stable: releases[0]! });
    assert.match(image(deploymentFile("staging")) ?? "", /@sha256:0202/);
    const rolled = await cli(admin, "rollback", "shop", "--channel", "staging", "--reason", "errors");
    assert.equal(rolled.code, 0, rolled.err);
    assert.match(rolled.out, new RegExp(`back to release ${releases[0]}`));
    const s = await until({ staging: releases[0]! });
    assert.equal(s.channels[1]!.live?.cause, "rollback");
    assert.match(image(deploymentFile("staging")) ?? "", /@sha256:0101/);
    // The promoter does not move release 2 into staging again by itself.
    await sleep(1500);
    assert.equal((await status()).channels[1]!.release?.id, releases[0]);
  });

  test("the line stop holds every promotion and shows in the matrix until lifted", async () => {
    const stop = await cli(admin, "freeze", "set", "--reason", "incident 12");
    assert.equal(stop.code, 0, stop.err);
    assert.match(stop.out, /the line is stopped by .*: incident 12/);
    const shown = await cli(admin, "status", "shop");
    assert.match(shown.out, /THE LINE IS STOPPED by .*: incident 12/);
    const refused = await cli(reviewer, "freeze", "set", "--reason", "mine");
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /platform administrator/);
    const lifted = await cli(admin, "freeze", "lift");
    assert.match(lifted.out, /the line is running/);
  });
});
