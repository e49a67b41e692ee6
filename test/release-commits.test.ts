/**
 * The commits a release brings, on SQLite and PostgreSQL: read with the real git from a repository
 * in a temporary directory (those since the app's previous release, limited to the app's
 * directory), stored once with the release and never changed, shown by the promotion's dry run and
 * counted one by one by DORA's lead time.
 *
 * One repository holds two apps: `shop` at the root and `cart` in apps/cart. Release 1 of each at
 * commit A; then B (the root README), C (apps/cart only) and D (the README again); release 2 of
 * each at D. shop's release 2 brings D, C, B; cart's, limited to apps/cart, brings C alone.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { memoryIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import type { Executor } from "../src/engine/executor.ts";
import { type RunningServer, startServer } from "../src/server/main.ts";
import { parsePlatform } from "../src/spec/parse.ts";
import { systemActor } from "../src/store/store.ts";
import { createHarness, type Harness } from "./support/api-harness.ts";
import type { DatabaseKind } from "./support/databases.ts";
import { rawExec } from "./support/raw-sql.ts";
import { appSpec, git, imageAt, newRepository, removeRepository } from "./support/release-repos.ts";

const platformText = `apiVersion: slipway.dev/v1
kind: Platform
clusters:
  - name: local
    gitops: { directory: ./gitops }
channels:
  - { name: develop, cluster: local }
  - { name: stable, cluster: local }
`;
const platform = parsePlatform(platformText, "slipway.platform.yaml");

const hour = 3_600_000;

/** What the channels' policy asks of every container, so that the policy gate passes. */
const policyClean = [
  "resources:",
  "  requests: { cpu: 100m, memory: 64Mi }",
  "  limits: { memory: 128Mi }",
  "health:",
  "  readiness:",
  "    http: { path: /ready, port: http }",
].join("\n");

/**
 * `count` commits on main after `parent`, each changing `file`, written with `git fast-import` (a
 * thousand `git commit`s would take most of a minute); returns the last one.
 */
function manyCommits(repo: string, parent: string, count: number, file: string): string {
  const stream: string[] = [];
  for (let n = 1; n <= count; n++) {
    const message = `count ${n}`;
    const content = `${n}\n`;
    const time = Math.floor(Date.now() / 1000) - 3600 + n;
    stream.push(
      "commit refs/heads/main",
      `mark :${n}`,
      `author Ada Author <ada@example.test> ${time} +0000`,
      `committer Ada Author <ada@example.test> ${time} +0000`,
      `data ${Buffer.byteLength(message)}`,
      message,
      n === 1 ? `from ${parent}` : `from :${n - 1}`,
      `M 100644 inline ${file}`,
      `data ${Buffer.byteLength(content)}`,
      content,
    );
  }
  execFileSync("git", ["fast-import", "--quiet", "--force"], { cwd: repo, input: `${stream.join("\n")}\n` });
  // The checkout follows, so later commits in the test go on top.
  git(repo, "reset", "-q", "--hard", "main");
  return git(repo, "rev-parse", "main");
}

/** Writes `files`, commits them as written at `when` (by `author`), and returns the commit id. */
function commitAt(
  repo: string,
  files: Readonly<Record<string, string>>,
  message: string,
  when: Date,
  options: { author?: string } = {},
): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
  git(repo, "add", "-A");
  git(
    repo,
    "commit",
    "-q",
    "--allow-empty",
    `--date=${when.toISOString()}`,
    ...(options.author === undefined ? [] : [`--author=${options.author}`]),
    "-m",
    message,
  );
  return git(repo, "rev-parse", "HEAD");
}

for (const kind of ["sqlite", "postgres"] as DatabaseKind[]) {
  describe(`the commits of a release on ${kind}`, () => {
    let h: Harness;
    const repo = newRepository();
    // Written hours ago, one hour apart, so each commit has its own lead time.
    const now = Math.floor(Date.now() / 1000) * 1000;
    const at = (hoursAgo: number) => new Date(now - hoursAgo * hour);
    const shop = appSpec({ name: "shop", secrets: [], extra: policyClean });
    const cart = appSpec({ name: "cart", secrets: [], extra: policyClean });
    const A = commitAt(
      repo,
      { "slipway.yaml": shop, "apps/cart/slipway.yaml": cart },
      "shop and cart",
      at(6),
    );
    const B = commitAt(repo, { "README.md": "shop\n" }, "readme: what shop is\n\nA body.", at(5), {
      author: "Bo Builder <bo@example.test>",
    });
    const C = commitAt(repo, { "apps/cart/notes.txt": "cart\n" }, "cart: notes", at(4));
    const D = commitAt(repo, { "README.md": "shop, the shop\n" }, "readme: say it twice", at(3));
    const releases: Record<string, string> = {};

    const post = async (path: string, body: unknown, as: "releaser" | "admin" = "releaser") => {
      const response = await h.call("POST", path, { as, body });
      // biome-ignore lint/suspicious/noExplicitAny: the test reads whichever fields each answer has
      return { status: response.status, body: (await response.json()) as Record<string, any> };
    };
    const paths = { shop: "", cart: "apps/cart", big: "big" };
    const release = async (app: keyof typeof paths, commit: string, image: number) => {
      const made = await post(
        `/api/v1/apps/${app}/releases`,
        { repository: repo, path: paths[app], commit, image: imageAt(image) },
        "admin",
      );
      assert.equal(made.status, 201, JSON.stringify(made.body));
      return made.body.release.id as string;
    };
    /** What the engine does: claim every queued job and make it available. */
    const finishJobs = async () => {
      const claimed = await h.store.claimJobs({
        owner: "test",
        leaseMs: 10_000,
        timeoutMs: 60_000,
        limit: 20,
      });
      for (const { job } of claimed) {
        await h.store.recordJobStatus({
          deploymentId: job.deploymentId,
          owner: "test",
          fence: job.fence,
          status: "available",
          message: "available",
          leaseMs: 10_000,
        });
      }
    };
    const promote = async (to: string, app = "shop") => {
      const promoted = await post(`/api/v1/apps/${app}/promotions`, { to });
      assert.equal(promoted.status, 201, JSON.stringify(promoted.body));
      await finishJobs();
    };

    before(async () => {
      h = await createHarness({ kind, platform });
      for (const app of ["shop", "cart", "big"]) {
        await h.store.createApp(systemActor, { name: app, teamName: "payments", description: "" });
      }
      for (const name of ["develop", "stable"])
        await h.store.createTarget(systemActor, { name, kind: "channel" });
    });
    after(async () => {
      await h?.dispose();
      removeRepository(repo);
    });

    test("a first release records just its own commit", async () => {
      releases.shop1 = await release("shop", A, 1);
      releases.cart1 = await release("cart", A, 2);
      const [range] = await h.store.listReleaseCommits([releases.shop1]);
      assert.deepEqual(range, {
        releaseId: releases.shop1,
        total: 1,
        containsReleaseId: null,
        items: [
          {
            sha: A,
            author: "Ada Author <ada@example.test>",
            authoredAt: at(6).toISOString(),
            subject: "shop and cart",
          },
        ],
      });
    });

    test("the next release records the commits since the previous one, newest first; --path keeps the app's own", async () => {
      await finishJobs();
      await promote("stable");
      releases.shop2 = await release("shop", D, 3);
      releases.cart2 = await release("cart", D, 4);
      const ranges = new Map(
        (await h.store.listReleaseCommits([releases.shop2, releases.cart2])).map((r) => [r.releaseId, r]),
      );
      const shop2 = ranges.get(releases.shop2)!;
      assert.deepEqual(
        shop2.items.map((c) => [c.sha, c.subject, c.author]),
        [
          [D, "readme: say it twice", "Ada Author <ada@example.test>"],
          [C, "cart: notes", "Ada Author <ada@example.test>"],
          [B, "readme: what shop is", "Bo Builder <bo@example.test>"],
        ],
        "B..D: three commits, newest first, the message's first line only",
      );
      assert.equal(shop2.total, 3);
      assert.equal(shop2.containsReleaseId, releases.shop1, "A is an ancestor of D: it holds release 1");
      const cart2 = ranges.get(releases.cart2)!;
      assert.deepEqual(
        cart2.items.map((c) => c.sha),
        [C],
        "B and D change only the README, outside apps/cart",
      );
      assert.equal(cart2.containsReleaseId, releases.cart1);
      // The app's history says how many commits each release brought.
      const history = await h.call("GET", "/api/v1/apps/shop/history", { as: "viewer" });
      const items = (
        (await history.json()) as { items: { kind: string; releaseId: string; commitCount: number }[] }
      ).items;
      assert.deepEqual(
        items.filter((i) => i.kind === "release").map((i) => [i.releaseId, i.commitCount]),
        [
          [releases.shop2, 3],
          [releases.shop1, 1],
        ],
      );
    });

    test("the dry run shows every commit between the channel's release and the candidate", async () => {
      await finishJobs();
      const dry = await post("/api/v1/apps/shop/promotions", { to: "stable", dryRun: true });
      assert.equal(dry.status, 200, JSON.stringify(dry.body));
      assert.equal(dry.body.current.id, releases.shop1);
      assert.deepEqual(
        dry.body.preview.commits.map((c: Record<string, string>) => [
          c.commitSha,
          c.releaseId,
          c.commitMessage,
          c.commitTime,
        ]),
        [
          [D, releases.shop2, "readme: say it twice", at(3).toISOString()],
          [C, releases.shop2, "cart: notes", at(4).toISOString()],
          [B, releases.shop2, "readme: what shop is", at(5).toISOString()],
        ],
      );
      assert.equal(dry.body.preview.commitsNotShown, 0);
    });

    test("DORA's lead time counts every commit that reached production, each from its own time", async () => {
      await promote("stable");
      const answer = await h.call("GET", "/api/v1/dora?app=shop&window=1d", { as: "viewer" });
      assert.equal(answer.status, 200);
      const { total } = (await answer.json()) as {
        total: {
          leadTime: {
            count: number;
            medianSeconds: number;
            p90Seconds: number;
            changes: {
              commitSha: string;
              releaseId: string;
              commitTime: string;
              availableAt: string;
              seconds: number;
            }[];
          };
        };
      };
      const changes = total.leadTime.changes;
      assert.deepEqual(
        changes.map((c) => [c.commitSha, c.releaseId]),
        [
          [A, releases.shop1],
          [D, releases.shop2],
          [C, releases.shop2],
          [B, releases.shop2],
        ],
        "release 2's three commits each count, not only its own",
      );
      for (const c of changes) {
        assert.equal(c.seconds, (Date.parse(c.availableAt) - Date.parse(c.commitTime)) / 1000);
      }
      // Written 6, 5, 4 and 3 hours before the test started, and available a few seconds after: the
      // median is between B's and C's (about 4.5 h), p90 is A's (about 6 h, the 4th of 4).
      const byCommit = new Map(changes.map((c) => [c.commitSha, c.seconds]));
      assert.equal(total.leadTime.count, 4);
      assert.equal(total.leadTime.medianSeconds, (byCommit.get(B)! + byCommit.get(C)!) / 2);
      assert.equal(total.leadTime.p90Seconds, byCommit.get(A)!);
      assert.ok(
        Math.abs(total.leadTime.medianSeconds - 4.5 * 3600) < 120,
        String(total.leadTime.medianSeconds),
      );
    });

    test("the commits of a release are never changed: the database refuses it", async () => {
      for (const statement of [
        `update release_commits set subject = 'rewritten' where release_id = '${releases.shop2}'`,
        `delete from release_commits where release_id = '${releases.shop2}'`,
        `update release_commit_ranges set total = 0 where release_id = '${releases.shop2}'`,
        `delete from release_commit_ranges where release_id = '${releases.shop2}'`,
      ]) {
        await assert.rejects(rawExec(h.database, statement), /recorded once and never changed/, statement);
      }
      const [range] = await h.store.listReleaseCommits([releases.shop2!]);
      assert.equal(range?.items[0]?.subject, "readme: say it twice");
    });

    test("a hotfix from another line of history brings its own commits and holds nothing; a release of an older commit brings none", async () => {
      // From A, beside D: reachable from E and not from D is E alone, and E does not hold D.
      git(repo, "checkout", "-q", "-b", "hotfix", A);
      const E = commitAt(repo, { "hotfix.txt": "x\n" }, "hotfix: one line", at(2));
      git(repo, "checkout", "-q", "main");
      const hotfix = await release("shop", E, 5);
      const [branch] = await h.store.listReleaseCommits([hotfix]);
      assert.deepEqual(
        [branch?.items.map((c) => c.sha), branch?.total, branch?.containsReleaseId],
        [[E], 1, null],
      );
      // A again, after E: everything reachable from A was reachable from E.
      const older = await release("shop", A, 6);
      const [back] = await h.store.listReleaseCommits([older]);
      assert.deepEqual([back?.items, back?.total, back?.containsReleaseId], [[], 0, null]);
    });

    test("a release of 1,002 commits records the newest 1,000 and the count; the dry run and the history say so", async () => {
      const base = commitAt(
        repo,
        { "big/slipway.yaml": appSpec({ name: "big", secrets: [], extra: policyClean }) },
        "big: first",
        at(2),
      );
      const big1 = await release("big", base, 7);
      await finishJobs();
      await promote("stable", "big");
      const tip = manyCommits(repo, base, 1002, "big/counter.txt");
      const big2 = await release("big", tip, 8);
      await finishJobs();
      const [range] = await h.store.listReleaseCommits([big2]);
      assert.equal(range?.total, 1002);
      assert.equal(range?.items.length, 1000);
      assert.deepEqual(
        [range?.items[0]?.subject, range?.items[999]?.subject],
        ["count 1002", "count 3"],
        "the newest thousand",
      );
      assert.equal(range?.containsReleaseId, big1);
      const dry = await post("/api/v1/apps/big/promotions", { to: "stable", dryRun: true });
      assert.equal(dry.status, 200, JSON.stringify(dry.body));
      assert.equal(dry.body.preview.commits.length, 1000);
      assert.equal(dry.body.preview.commitsNotShown, 2);
      const history = await h.call("GET", "/api/v1/apps/big/history", { as: "viewer" });
      const [newest] = (
        (await history.json()) as { items: { kind: string; commitCount: number }[] }
      ).items.filter((i) => i.kind === "release");
      assert.equal(newest?.commitCount, 1002);
    });

    test("the dry run of a channel left 250 releases behind lists the commit of every one of them", async () => {
      // More releases than one page of the list: a channel not promoted for months.
      await h.store.createApp(systemActor, { name: "long", teamName: "payments", description: "" });
      const spec = new TextEncoder().encode(appSpec({ name: "long", secrets: [], extra: policyClean }));
      const make = async (n: number) =>
        (
          await h.store.createRelease(systemActor, {
            appName: "long",
            commitSha: (0x10000 + n).toString(16).padStart(40, "0"),
            imageDigest: `sha256:${n.toString(16).padStart(64, "0")}`,
            specHash: "a".repeat(64),
            secretsHash: "b".repeat(64),
            commitTime: null,
            files: [{ path: "slipway.yaml", content: spec }],
          })
        ).release.id;
      const deployToDevelop = async (releaseId: string) => {
        await h.store.enqueueDeployment(systemActor, { releaseId, targetName: "develop" });
        await finishJobs();
      };
      await deployToDevelop(await make(0));
      // Into a channel that never ran a release: the promoted release's own commits only.
      const first = await post("/api/v1/apps/long/promotions", { to: "stable", dryRun: true });
      assert.deepEqual(
        first.body.preview.commits.map((c: { commitSha: string }) => c.commitSha),
        [(0x10000).toString(16).padStart(40, "0")],
      );
      await promote("stable", "long");
      let newest = "";
      for (let n = 1; n <= 250; n++) newest = await make(n);
      await deployToDevelop(newest);
      const dry = await post("/api/v1/apps/long/promotions", { to: "stable", dryRun: true });
      assert.equal(dry.status, 200, JSON.stringify(dry.body));
      const shas = dry.body.preview.commits.map((c: { commitSha: string }) => c.commitSha);
      assert.equal(shas.length, 250);
      assert.equal(shas[0], (0x10000 + 250).toString(16).padStart(40, "0"), "newest first");
      assert.equal(
        shas.at(-1),
        (0x10000 + 1).toString(16).padStart(40, "0"),
        "down to the one after stable's",
      );
    });

    test("a release after the history was rewritten from scratch brings just its own commit", async () => {
      // No common ancestor with the previous release (git filter-repo, a re-created repository):
      // the new line's whole history is not what this release delivers.
      git(repo, "checkout", "-q", "--orphan", "rewritten");
      commitAt(repo, {}, "big: the history starts again", at(2));
      const tip = commitAt(repo, { "big/counter.txt": "again\n" }, "big: after the rewrite", at(1));
      git(repo, "checkout", "-q", "-f", "main");
      const [range] = await h.store.listReleaseCommits([await release("big", tip, 9)]);
      assert.deepEqual(
        [range?.items.map((c) => [c.sha, c.subject]), range?.total, range?.containsReleaseId],
        [[[tip, "big: after the rewrite"]], 1, null],
      );
    });
  });
}

describe("slipway promote --dry-run and slipway dora --explain show each commit", () => {
  let dataDir: string;
  let server: RunningServer;
  let env: Record<string, string>;
  const repo = newRepository();
  const now = Math.floor(Date.now() / 1000) * 1000;
  const at = (hoursAgo: number) => new Date(now - hoursAgo * hour);
  const A = commitAt(
    repo,
    { "slipway.yaml": appSpec({ name: "shop", secrets: [], extra: policyClean }) },
    "shop: first",
    at(6),
  );
  const B = commitAt(repo, { "README.md": "shop\n" }, "readme: what shop is\n\nA body.", at(5), {
    author: "Bo Builder <bo@example.test>",
  });
  const C = commitAt(repo, { "docs/a.md": "a\n" }, "docs: a", at(4));
  const D = commitAt(repo, { "docs/b.md": "b\n" }, "docs: b", at(3));
  // The engine's part: every deployment becomes available at once.
  const executor: Executor = async () => ({ status: "available", message: "available" });

  async function cli(argv: string[]) {
    const io = memoryIo({ env, cwd: repo });
    const code = await main(argv, io);
    return { code, out: io.stdout(), err: io.stderr() };
  }
  async function availableIn(channel: string, release: string) {
    for (let i = 0; i < 200; i++) {
      const [latest] = (
        await server.store.listDeployments({ appName: "shop", targetName: channel }, { limit: 1 })
      ).items;
      if (latest?.releaseId === release && latest.status === "available") return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail(`release ${release} did not become available in ${channel}`);
  }
  async function release(commit: string, image: number): Promise<string> {
    const made = await cli([
      "release",
      "create",
      "--repo",
      repo,
      "--commit",
      commit,
      "--image",
      imageAt(image),
      "--app",
      "shop",
      "-o",
      "json",
    ]);
    assert.equal(made.code, 0, made.err);
    const id = (JSON.parse(made.out) as { release: { id: string } }).release.id;
    await availableIn("develop", id);
    return id;
  }
  async function promote(id: string) {
    const promoted = await cli(["promote", "shop", "--to", "stable"]);
    assert.equal(promoted.code, 0, promoted.err);
    await availableIn("stable", id);
  }

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "slipway-release-commits-"));
    const platformFile = join(dataDir, "slipway.platform.yaml");
    writeFileSync(platformFile, platformText);
    server = await startServer({
      dataDir,
      listen: "127.0.0.1:0",
      demo: false,
      platformFile,
      allowLocalRepositories: true,
      executor,
      env: {},
      log: () => {},
    });
    env = { SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: server.adminToken ?? "" };
    await server.store.createTeam(systemActor, "payments");
    await server.store.createApp(systemActor, { name: "shop", teamName: "payments", description: "" });
  });
  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
    removeRepository(repo);
  });

  test("the dry run lists B, C and D newest first; dora --explain lists A, B, C and D", async () => {
    const first = await release(A, 1);
    await promote(first);
    const second = await release(D, 2);
    const dry = await cli(["promote", "shop", "--to", "stable", "--dry-run"]);
    assert.equal(dry.code, 0, dry.err);
    const time = (d: Date) => `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)}`;
    const commits = dry.out.slice(dry.out.indexOf("commits ("), dry.out.indexOf("\n\npolicy:"));
    assert.deepEqual(commits.split("\n"), [
      "commits (3), newest first:",
      `  ${D.slice(0, 12)}  ${time(at(3))}  Ada Author <ada@example.test>  docs: b`,
      `  ${C.slice(0, 12)}  ${time(at(4))}  Ada Author <ada@example.test>  docs: a`,
      `  ${B.slice(0, 12)}  ${time(at(5))}  Bo Builder <bo@example.test>  readme: what shop is`,
    ]);
    await promote(second);
    const dora = await cli(["dora", "--app", "shop", "--window", "1d", "--explain"]);
    assert.equal(dora.code, 0, dora.err);
    const lead = dora.out.slice(dora.out.indexOf("lead time"), dora.out.indexOf("failed changes"));
    const lines = lead.trimEnd().split("\n").slice(1);
    assert.deepEqual(
      lines.map((l) => l.trim().split(" ").slice(1, 3)),
      [
        ["shop", A.slice(0, 12)],
        ["shop", D.slice(0, 12)],
        ["shop", C.slice(0, 12)],
        ["shop", B.slice(0, 12)],
      ],
    );
    assert.match(lines[3]!, new RegExp(`committed ${at(5).toISOString()} available .*: 5h( \\d+m)?$`));
  });
});
