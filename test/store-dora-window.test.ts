/**
 * DORA reads only its window, on both databases: the report from `readDoraWindow` equals the one
 * from every release's commits (`listDeliveryReleases`) for short and long windows, an app or a
 * team, while a short window at the end of a long history reads the commits of its own releases
 * (and the copies of those commits that earlier releases recorded), not the history's.
 *
 * shop (team payments): twelve releases on one line, 20 commits each, one a day, each available in
 * stable; then a hotfix that holds nothing and records a copy of one commit the twelfth brought,
 * a release recorded without its commits, one that fails, and one that holds the failed one.
 * The window holds the last four. cart (payments, the same repository): releases with the same commits as shop's first ones.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { DoraResponse } from "../src/api/history.ts";
import { computeDora, type DoraRelease } from "../src/delivery/dora.ts";
import { createApi } from "../src/server/app.ts";
import { issueToken } from "../src/server/auth/api-tokens.ts";
import { authenticator } from "../src/server/auth/authenticate.ts";
import type { DoraWindowInputs } from "../src/store/dora-queries.ts";
import type { ReleaseCommit } from "../src/store/release-commit-queries.ts";
import { type Actor, type Store, systemActor } from "../src/store/store.ts";
import { createTestDatabase, type DatabaseKind, type TestDatabase } from "./support/databases.ts";

const alice: Actor = { userId: "u-alice", subject: "test:alice" };
const hour = 3_600_000;
const day = 24 * hour;
const settings = {
  productionChannel: "stable",
  failureStatuses: ["failed", "rolled-back"],
  rollbacksAreFailures: true,
  fixForwardWithinSeconds: 3600,
};
const perRelease = 20;
const lineLength = 12;

const sha = (n: number) => n.toString(16).padStart(40, "0");
const commitCount = (releases: readonly DoraRelease[]) => releases.reduce((n, r) => n + r.commits.length, 0);

for (const kind of ["sqlite", "postgres"] as DatabaseKind[]) {
  describe(`DORA reads its window on ${kind}`, () => {
    let database: TestDatabase;
    let store: Store;
    let clock = Date.parse("2026-04-01T00:00:00Z");
    let nextCommit = 1;
    const made: Record<string, { id: string; commits: ReleaseCommit[] }> = {};
    /** When the window's releases began: after the line's and cart's deployments. */
    let windowStart = 0;

    const commits = (count: number): ReleaseCommit[] =>
      Array.from({ length: count }, (_, i) => ({
        sha: sha(nextCommit++),
        author: "Ada <ada@example.com>",
        authoredAt: new Date(clock - (i + 1) * hour).toISOString(),
        subject: `change ${nextCommit}`,
      }));
    const release = async (
      name: string,
      app: string,
      brought: ReleaseCommit[] | undefined,
      contains: string | null,
    ) => {
      clock += hour;
      const head = brought?.[0]?.sha ?? sha(nextCommit++);
      const created = await store.createRelease(alice, {
        appName: app,
        commitSha: head,
        imageDigest: `sha256:${"a".repeat(64)}`,
        specHash: "1".repeat(64),
        secretsHash: "2".repeat(64),
        commitTime: new Date(clock - 2 * hour).toISOString(),
        ...(brought === undefined
          ? {}
          : { commits: { items: brought, total: brought.length, containsReleaseId: contains } }),
      });
      made[name] = { id: created.release.id, commits: brought ?? [] };
    };
    const deploy = async (name: string, outcome: "available" | "failed") => {
      clock += hour;
      const deployment = await store.startDeployment(alice, {
        releaseId: made[name]!.id,
        targetName: "stable",
      });
      clock += 10 * 60_000;
      await store.recordDeploymentStatus(alice, {
        deploymentId: deployment.id,
        status: outcome,
        message: "",
      });
      clock += day - hour - 10 * 60_000;
    };

    before(async () => {
      database = await createTestDatabase(kind);
      store = await database.open({ now: () => new Date(clock) });
      await store.createTeam(alice, "payments");
      await store.createApp(alice, { name: "shop", teamName: "payments", description: "" });
      await store.createApp(alice, { name: "cart", teamName: "payments", description: "" });
      await store.createTarget(alice, { name: "stable", kind: "channel" });
      for (let n = 1; n <= lineLength; n++) {
        await release(`s${n}`, "shop", commits(perRelease), n === 1 ? null : made[`s${n - 1}`]!.id);
        await deploy(`s${n}`, "available");
      }
      // cart records the same commits as shop's first two releases: one repository, two apps.
      await release("c1", "cart", made.s1!.commits, null);
      await deploy("c1", "available");
      await release("c2", "cart", made.s2!.commits, made.c1!.id);
      await deploy("c2", "available");
      // The window's releases (the last three days): a hotfix whose range repeats a commit the
      // twelfth brought, one recorded without commits, a failure, and the release holding it.
      windowStart = clock;
      const repeated = made[`s${lineLength}`]!.commits[5]!;
      await release("hotfix", "shop", [...commits(2), repeated], null);
      await deploy("hotfix", "available");
      await release("bare", "shop", undefined, null);
      await deploy("bare", "available");
      await release("failing", "shop", commits(3), made.hotfix!.id);
      await deploy("failing", "failed");
      await release("fixed", "shop", commits(4), made.failing!.id);
      await deploy("fixed", "available");
    });
    after(async () => {
      await store.close();
      await database.dispose();
    });

    const scope = (query: { app?: string; team?: string }) => ({
      appName: query.app,
      teamName: query.app === undefined ? query.team : undefined,
    });
    const whole = async (query: { app?: string; team?: string }, from: number, until: number) => {
      const window = { from: new Date(from).toISOString(), to: new Date(until).toISOString() };
      const [records, releases] = await Promise.all([
        store.listDeliveryRecords({ ...scope(query), targetName: "stable", until: window.to }),
        store.listDeliveryReleases({ ...scope(query), until: window.to }),
      ]);
      return { report: computeDora(records, window, settings, releases), releases };
    };
    const bounded = async (query: { app?: string; team?: string }, from: number, until: number) => {
      const window = { from: new Date(from).toISOString(), to: new Date(until).toISOString() };
      const inputs: DoraWindowInputs = await store.readDoraWindow({
        ...scope(query),
        targetName: "stable",
        from: window.from,
        until: window.to,
      });
      return { report: computeDora(inputs.deployments, window, settings, inputs.releases), inputs };
    };

    test("every window gives the report every release's commits give, for an app and for the team", async () => {
      const now = clock;
      for (const query of [{ app: "shop" }, { app: "cart" }, { team: "payments" }]) {
        for (const days of [1, 3, 4, 7, 30]) {
          for (const until of [now, now - 2 * day, now - 10 * day]) {
            const expected = await whole(query, until - days * day, until);
            const actual = await bounded(query, until - days * day, until);
            assert.deepEqual(
              actual.report,
              expected.report,
              `${JSON.stringify(query)} ${days}d until ${until}`,
            );
          }
        }
      }
    });

    test("a window of the last four releases reads their commits and the one copy, not the history's", async () => {
      const now = clock;
      const { report, inputs } = await bounded({ app: "shop" }, windowStart, now);
      const all = await whole({ app: "shop" }, windowStart, now);
      assert.deepEqual(report, all.report);
      // What the user sees: the hotfix's two new commits (its copy had arrived), the bare release's
      // own, the failed release's three with the fix's four.
      assert.equal(report.leadTime.count, 2 + 1 + 3 + 4);
      assert.equal(commitCount(all.releases), lineLength * perRelease + 3 + 1 + 3 + 4);
      // Read: the window's releases' commits (3 + 1 + 3 + 4) and the twelfth release's copy of one.
      assert.equal(commitCount(inputs.releases), 3 + 1 + 3 + 4 + 1);
      const inWindow = new Set(["hotfix", "bare", "failing", "fixed"].map((n) => made[n]!.id));
      const windowShas = new Set(
        inputs.releases.filter((r) => inWindow.has(r.id)).flatMap((r) => r.commits.map((c) => c.sha)),
      );
      for (const r of inputs.releases.filter((r) => !inWindow.has(r.id))) {
        assert.ok(
          r.commits.every((c) => windowShas.has(c.sha)),
          `release ${r.id} before the window brought only commits the window's releases also brought`,
        );
      }
    });

    test("GET /api/v1/dora over the last four releases' days reads those releases' commits, and answers as before", async () => {
      // The store as the route sees it, counting the commits each read hands back.
      const read: Record<string, number> = {};
      const spy = new Proxy(store, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          if (name !== "readDoraWindow" && name !== "listDeliveryReleases") return value;
          return async (...args: unknown[]) => {
            const result = await (
              value as (...a: unknown[]) => Promise<DoraWindowInputs | DoraRelease[]>
            ).apply(target, args);
            read[name] = commitCount("releases" in result ? result.releases : result);
            return result;
          };
        },
      });
      const admin = await store.ensureUser(systemActor, {
        subject: "test:admin",
        displayName: "admin",
        isAdmin: true,
      });
      const token = (await issueToken(store, systemActor, { userId: admin.id, name: "t", expiresAt: null }))
        .secret;
      const api = createApi({
        store: spy,
        authenticate: authenticator({ store }),
        logger: { error: () => {}, info: () => {} },
      });
      const until = new Date(clock).toISOString();
      // From just before the hotfix was made: the last four releases' days, not cart's before them.
      const hours = Math.ceil((clock - windowStart) / hour);
      const response = await api.request(
        `/api/v1/dora?app=shop&window=${hours}h&until=${encodeURIComponent(until)}`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      assert.equal(response.status, 200);
      const body = (await response.json()) as DoraResponse;
      assert.deepEqual(read, { readDoraWindow: 3 + 1 + 3 + 4 + 1 });
      const expected = await whole({ app: "shop" }, clock - hours * hour, clock);
      assert.deepEqual(body.total, JSON.parse(JSON.stringify(expected.report)));
      assert.equal(body.total.leadTime.changes.length, 2 + 1 + 3 + 4);
    });

    test("a window before any deployment reads no commit at all", async () => {
      const start = Date.parse("2026-04-01T00:00:00Z");
      const { inputs } = await bounded({ team: "payments" }, start - 30 * day, start);
      assert.equal(inputs.deployments.length, 0);
      assert.equal(commitCount(inputs.releases), 0);
    });
  });
}
