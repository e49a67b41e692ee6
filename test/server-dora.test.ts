/**
 * History and DORA over HTTP on both databases, who may ask for them, and the CLI's `history` and
 * `dora` against a running server.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { DoraResponse } from "../src/api/history.ts";
import { memoryIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import type { HistoryItem } from "../src/delivery/history.ts";
import { createApi } from "../src/server/app.ts";
import { authenticator } from "../src/server/auth/authenticate.ts";
import { startServer } from "../src/server/main.ts";
import { type Store, systemActor } from "../src/store/store.ts";
import { createHarness, type Harness } from "./support/api-harness.ts";
import type { DatabaseKind } from "./support/databases.ts";

/**
 * owned (team payments): r1 available in stable, r2 failed there, r1 rolled back over it, r3 to
 * staging only. other (payments): nothing. far (team search): one deployment to stable.
 */
async function seed(store: Store): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  await store.createApp(systemActor, { name: "owned", teamName: "payments", description: "" });
  await store.createApp(systemActor, { name: "other", teamName: "payments", description: "" });
  await store.createApp(systemActor, { name: "far", teamName: "search", description: "" });
  // A server started on a platform file has its channels as targets already.
  for (const name of ["staging", "stable"]) {
    await store.getTarget(name).catch(() => store.createTarget(systemActor, { name, kind: "channel" }));
  }
  const release = async (name: string, app: string, commit: string) => {
    ids[name] = (
      await store.createRelease(systemActor, {
        appName: app,
        commitSha: commit,
        imageDigest: `sha256:${commit[0]!.repeat(64)}`,
        specHash: "1".repeat(64),
        secretsHash: "2".repeat(64),
        commitTime: new Date(Date.now() - 3_600_000).toISOString(),
      })
    ).release.id;
  };
  const deploy = async (name: string, rel: string, target: string, outcome: "available" | "failed") => {
    ids[name] = (await store.startDeployment(systemActor, { releaseId: ids[rel]!, targetName: target })).id;
    await store.recordDeploymentStatus(systemActor, {
      deploymentId: ids[name]!,
      status: outcome,
      message: "",
    });
  };
  await release("r1", "owned", "aaaaaaa");
  await deploy("d1", "r1", "stable", "available");
  await release("r2", "owned", "bbbbbbb");
  await deploy("d2", "r2", "stable", "failed");
  await deploy("d3", "r1", "stable", "available");
  await release("r3", "owned", "ccccccc");
  await deploy("d4", "r3", "staging", "available");
  await release("f1", "far", "ddddddd");
  await deploy("f", "f1", "stable", "available");
  return ids;
}

for (const kind of ["sqlite", "postgres"] as DatabaseKind[]) {
  describe(`history and DORA over HTTP on ${kind}`, () => {
    let h: Harness;
    let ids: Record<string, string>;
    before(async () => {
      h = await createHarness({ kind });
      ids = await seed(h.store);
    });
    after(() => h.dispose());

    const dora = async (query: string, as: "viewer" | "outsider" | "platform-admin" = "viewer") => {
      const response = await h.call("GET", `/api/v1/dora?${query}`, { as });
      return {
        status: response.status,
        body: (await response.json()) as DoraResponse & { error: { message: string } },
      };
    };

    test("a team's numbers: its apps pooled and one by one, production being the platform's last channel", async () => {
      const { status, body } = await dora("team=payments&window=1d");
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.settings.productionChannel, "stable");
      assert.deepEqual(
        body.apps.map((a) => a.app),
        ["other", "owned"],
      );
      const { total } = body;
      assert.equal(total.deploymentFrequency.count, 2);
      assert.equal(total.deploymentFrequency.bucket, "elite");
      assert.deepEqual(
        total.changeFailureRate.failures.map((f) => [f.deploymentId, f.reason]),
        [[ids.d2, "status failed"]],
      );
      assert.equal(total.changeFailureRate.total, 3);
      assert.deepEqual(
        total.reworkRate.deployments.map((r) => [r.deploymentId, r.kind, r.after]),
        [[ids.d3, "rollback", ids.d2]],
      );
      assert.deepEqual(
        total.recoveryTime.recoveries.map((r) => [r.deploymentId, r.recoveredBy]),
        [[ids.d2, ids.d3]],
      );
      assert.deepEqual(
        total.leadTime.changes.map((c) => [c.deploymentId, c.commitSha]),
        [[ids.d1, "aaaaaaa"]],
      );
      const other = body.apps.find((a) => a.app === "other")!.report;
      assert.equal(other.changeFailureRate.rate, null);
      assert.equal(other.deploymentFrequency.bucket, "low");
    });

    test("an app's numbers; a window that ended before anything happened counts nothing", async () => {
      const { body } = await dora("app=owned&window=30d");
      assert.equal(body.app, "owned");
      assert.equal(body.total.changeFailureRate.total, 3);
      const past = await dora(`app=owned&window=7d&until=${encodeURIComponent("2020-01-01T00:00:00+01:00")}`);
      assert.equal(past.status, 200);
      assert.equal(past.body.total.changeFailureRate.total, 0);
      assert.equal(past.body.total.window.to, "2019-12-31T23:00:00.000Z");
    });

    test("outside the team: a team's numbers are forbidden with the reason, an app's are not found", async () => {
      const team = await dora("team=payments", "outsider");
      assert.equal(team.status, 403);
      assert.match(team.body.error.message, /not a member of team "payments"/);
      const app = await dora("app=owned", "outsider");
      const missing = await dora("app=absent", "outsider");
      assert.equal(app.status, 404);
      assert.equal(JSON.stringify(app.body).replaceAll("owned", "absent"), JSON.stringify(missing.body));
      // An app named with a team it is not in is, for that question, missing.
      assert.equal((await dora("app=owned&team=search", "viewer")).status, 404);
      assert.equal((await dora("team=nope", "viewer")).status, 404);
      assert.equal((await dora("team=payments", "platform-admin")).status, 200);
    });

    test("a question without a team or an app, or with a bad window, is refused and says what to give", async () => {
      const none = await dora("window=30d");
      assert.equal(none.status, 400);
      assert.match(none.body.error.message, /name a team \(\?team=\) or an app \(\?app=\)/);
      for (const window of ["0d", "30", "abc", "4000d", "1y"]) {
        const bad = await dora(`team=payments&window=${window}`);
        assert.equal(bad.status, 400, window);
        assert.match(JSON.stringify(bad.body), /window/, window);
      }
    });

    test("the production channel and failure come from the platform in use", async () => {
      const api = createApi({
        store: h.store,
        authenticate: authenticator({ store: h.store }),
        logger: { error: () => {}, info: () => {} },
        platform: () => ({
          channels: [
            { name: "staging", cluster: "c" },
            { name: "stable", cluster: "c" },
          ],
          dora: { productionChannel: "staging", rework: { fixForwardWithin: "2h" } },
        }),
      });
      const response = await api.request("/api/v1/dora?app=owned", {
        headers: { authorization: `Bearer ${h.tokens.viewer}` },
      });
      const body = (await response.json()) as DoraResponse;
      assert.equal(body.settings.productionChannel, "staging");
      assert.equal(body.settings.fixForwardWithinSeconds, 7200);
      assert.deepEqual(
        body.total.deploymentFrequency.deployments.map((d) => d.deploymentId),
        [ids.d4],
      );
    });

    test("history pages through every release and deployment, each deployment with what it replaced", async () => {
      const items: HistoryItem[] = [];
      let cursor = "";
      do {
        const response = await h.call("GET", `/api/v1/apps/owned/history?limit=2${cursor}`, { as: "viewer" });
        assert.equal(response.status, 200);
        const page = (await response.json()) as { items: HistoryItem[]; nextCursor: string | null };
        items.push(...page.items);
        cursor = page.nextCursor === null ? "" : `&cursor=${page.nextCursor}`;
      } while (cursor !== "");
      assert.deepEqual(
        items.map((i) => (i.kind === "release" ? i.releaseId : i.deploymentId)).sort(),
        ["r1", "r2", "r3", "d1", "d2", "d3", "d4"].map((n) => ids[n]!).sort(),
      );
      const d3 = items.find((i) => i.kind === "deployment" && i.deploymentId === ids.d3);
      assert.ok(d3?.kind === "deployment");
      assert.equal(d3.replaces?.deploymentId, ids.d1);
    });
  });
}

describe("slipway history and slipway dora against a server", () => {
  let dataDir: string;
  let configHome: string;
  let server: Awaited<ReturnType<typeof startServer>>;
  let ids: Record<string, string>;
  const env = () => ({ XDG_CONFIG_HOME: configHome });
  async function cli(argv: string[], stdin?: string) {
    const io = memoryIo({ env: env(), ...(stdin === undefined ? {} : { stdin }) });
    const code = await main(argv, io);
    return { code, out: io.stdout(), err: io.stderr() };
  }

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "slipway-dora-"));
    configHome = mkdtempSync(join(tmpdir(), "slipway-dora-config-"));
    server = await startServer({ dataDir, listen: "127.0.0.1:0", demo: false, env: {}, log: () => {} });
    await server.store.createTeam(systemActor, "payments");
    await server.store.createTeam(systemActor, "search");
    ids = await seed(server.store);
    const login = await cli(["login", "--server", server.url], `${server.adminToken}\n`);
    assert.equal(login.code, 0, login.err);
  });
  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(configHome, { recursive: true, force: true });
  });

  test("history shows each deployment's channel, status, times, who and what it replaced", async () => {
    const result = await cli(["history", "owned"]);
    assert.equal(result.code, 0, result.err);
    const lines = result.out.trimEnd().split("\n");
    assert.match(
      lines[0]!,
      /^WHEN +WHAT +ID +CHANNEL +# +STATUS +RELEASE +COMMIT +COMMITTED +AVAILABLE +FAILED +BY +REPLACED$/,
    );
    assert.equal(lines.length, 8);
    const rollback = lines.find((l) => l.includes(ids.d3!))!;
    assert.match(rollback, /deployment +dep_\w+ +stable +3 +available +rel_\w+ +aaaaaaa /);
    assert.ok(rollback.endsWith(`#1 ${ids.d1}`), rollback);
    const failed = lines.find((l) => l.includes(ids.d2!))!;
    assert.match(failed, / failed /);
    const page = await cli(["history", "owned", "--limit", "3"]);
    assert.match(page.err, /more: --cursor \S+/);
    const json = JSON.parse((await cli(["history", "owned", "-o", "json"])).out) as { items: HistoryItem[] };
    assert.equal(json.items.length, 7);
  });

  test("dora prints the numbers, and with --explain the deployments and commits behind them", async () => {
    const result = await cli(["dora", "--team", "payments", "--window", "7d", "--explain"]);
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /DORA for team payments, production channel stable/);
    assert.match(result.out, /\(all apps\) +2 +2 +high +1h +1h +33\.3% \(1\/3\) +\S+ +33\.3% \(1\/3\)$/m);
    assert.match(result.out, /^owned +2 /m);
    assert.match(result.out, /^other +0 +0 +low +- +- +- +- +-$/m);
    assert.match(
      result.out,
      new RegExp(`failed changes \\(1 of 3\\):\\n  ${ids.d2} owned bbbbbbb at \\S+: status failed`),
    );
    assert.match(
      result.out,
      new RegExp(`rework \\(1 of 3\\):\\n  ${ids.d3} owned aaaaaaa rollback after ${ids.d2}`),
    );
    const json = JSON.parse((await cli(["dora", "--app", "owned", "-o", "json"])).out) as DoraResponse;
    assert.equal(json.total.changeFailureRate.failed, 1);
  });

  test("dora without --team or --app, for someone in no team, says what to name", async () => {
    const result = await cli(["dora"]);
    assert.equal(result.code, 2);
    assert.match(
      result.err,
      /name a team with --team or an app with --app: you are not a member of any team/,
    );
    const bad = await cli(["dora", "--team", "payments", "--window", "soon"]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /window/);
  });
});
