/**
 * The whole route × role matrix: every route, called by each team role of the owning team, by a
 * platform administrator, by an admin of another team and by nobody, allows or denies exactly as
 * the table below says. A route added without a row here fails this test.
 *
 * Where what the route addresses is the team's business (an app, a release, a deployment), the
 * admin of another team is told exactly what a request for a missing one is told: 404, same
 * message. A 403 there would confirm that it exists and which team it is not in.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { apiRoutes } from "../src/server/app.ts";
import { issueToken } from "../src/server/auth/api-tokens.ts";
import { type Role, roleRank } from "../src/store/records.ts";
import { systemActor } from "../src/store/store.ts";
import { type Caller, createHarness, type Harness } from "./support/api-harness.ts";
import { appSpec, commitFiles, imageAt, newRepository } from "./support/release-repos.ts";

type Needs = "anyone" | "platform-admin" | Role;

// The authorization policy as a reviewer reads it: the least a caller needs, per route.
const policy: Record<string, Needs> = {
  "GET /api/v1/whoami": "anyone",
  "GET /api/v1/apps": "anyone",
  "POST /api/v1/apps": "admin",
  "GET /api/v1/apps/:app": "viewer",
  "PATCH /api/v1/apps/:app": "developer",
  "GET /api/v1/apps/:app/releases": "viewer",
  "POST /api/v1/apps/:app/releases": "developer",
  "GET /api/v1/releases/:release": "viewer",
  "POST /api/v1/releases/:release/approvals": "releaser",
  "GET /api/v1/targets": "anyone",
  "POST /api/v1/targets": "platform-admin",
  "GET /api/v1/apps/:app/deployments": "viewer",
  "POST /api/v1/apps/:app/deployments": "releaser",
  "GET /api/v1/deployments/:deployment": "viewer",
  "POST /api/v1/deployments/:deployment/status": "releaser",
  "GET /api/v1/apps/:app/history": "viewer",
  "GET /api/v1/dora": "viewer",
  "GET /api/v1/teams": "anyone",
  "POST /api/v1/teams": "platform-admin",
  "PUT /api/v1/teams/:team/members": "admin",
  "GET /api/v1/teams/:team/audit": "admin",
  "GET /api/v1/audit": "platform-admin",
  "GET /api/v1/tokens": "anyone",
  "POST /api/v1/tokens": "anyone",
  "DELETE /api/v1/tokens/:token": "anyone",
  "POST /api/v1/apps/:app/promotions": "releaser",
  "POST /api/v1/releases/:release/rejections": "releaser",
  "POST /api/v1/apps/:app/rollbacks": "releaser",
  "GET /api/v1/apps/:app/status": "viewer",
  "GET /api/v1/freeze": "anyone",
  "PUT /api/v1/freeze": "platform-admin",
  "DELETE /api/v1/freeze": "platform-admin",
};

// Routes whose resource a non-member cannot tell from a missing one.
const concealed = new Set([
  "GET /api/v1/apps/:app",
  "PATCH /api/v1/apps/:app",
  "GET /api/v1/apps/:app/releases",
  "POST /api/v1/apps/:app/releases",
  "GET /api/v1/releases/:release",
  "POST /api/v1/releases/:release/approvals",
  "GET /api/v1/apps/:app/deployments",
  "POST /api/v1/apps/:app/deployments",
  "GET /api/v1/deployments/:deployment",
  "POST /api/v1/deployments/:deployment/status",
  "GET /api/v1/apps/:app/history",
  "GET /api/v1/dora",
  "POST /api/v1/apps/:app/promotions",
  "POST /api/v1/releases/:release/rejections",
  "POST /api/v1/apps/:app/rollbacks",
  "GET /api/v1/apps/:app/status",
]);

/** The same request for a resource that does not exist: another app name, ids nobody was given. */
function missingVariant(path: string): string {
  return path
    .replace("/apps/owned", "/apps/absent")
    .replace("app=owned", "app=absent")
    .replace(/\b(rel|dep)_[0-9a-f]{28}\b/, `$1_${"0".repeat(28)}`);
}

function allowed(needs: Needs, caller: Caller): boolean {
  if (needs === "anyone" || caller === "platform-admin") return true;
  if (needs === "platform-admin" || caller === "outsider") return false;
  return roleRank[caller] >= roleRank[needs];
}

const callers: readonly Caller[] = ["viewer", "developer", "releaser", "admin", "platform-admin", "outsider"];

describe("authorization matrix", () => {
  let h: Harness;
  let releaseId = "";
  let snapshotRelease = "";
  // What POST /apps/owned/releases reads: a repository with the app at one commit.
  const ownedRepo = newRepository();
  const ownedCommit = commitFiles(
    ownedRepo,
    { "slipway.yaml": appSpec({ name: "owned", secrets: [] }) },
    "owned",
  );
  let n = 0;
  const fresh = () => `m${++n}`;

  before(async () => {
    h = await createHarness();
    await h.store.createApp(systemActor, { name: "owned", teamName: "payments", description: "" });
    await h.store.createTarget(systemActor, { name: "staging", kind: "channel" });
    releaseId = (
      await h.store.createRelease(systemActor, {
        appName: "owned",
        commitSha: "abcdef0",
        imageDigest: `sha256:${"c".repeat(64)}`,
        specHash: "1".repeat(64),
        secretsHash: "2".repeat(64),
        commitTime: null,
      })
    ).release.id;
    // Promotion and rollback need channels with something available in them: a release read
    // from git (it has a snapshot to render), available in develop; two releases in turn in beta.
    for (const name of ["develop", "integration", "beta"]) {
      await h.store.createTarget(systemActor, { name, kind: "channel" });
    }
    const created = await h.call("POST", "/api/v1/apps/owned/releases", {
      as: "developer",
      body: { repository: ownedRepo, commit: ownedCommit, image: imageAt(250) },
    });
    snapshotRelease = ((await created.json()) as { release: { id: string } }).release.id;
    const available = async (release: string, target: string) => {
      const d = await h.store.startDeployment(systemActor, { releaseId: release, targetName: target });
      await h.store.recordDeploymentStatus(systemActor, {
        deploymentId: d.id,
        status: "available",
        message: "",
      });
    };
    await available(snapshotRelease, "develop");
    await available(releaseId, "beta");
    await available(snapshotRelease, "beta");
  });
  after(() => h.dispose());

  // A valid request for each route, fresh for every cell so an allowed call really succeeds.
  const samples: Record<string, (caller: Caller) => Promise<{ path: string; body?: unknown }>> = {
    "GET /api/v1/whoami": async () => ({ path: "/api/v1/whoami" }),
    "GET /api/v1/apps": async () => ({ path: "/api/v1/apps" }),
    "POST /api/v1/apps": async () => ({ path: "/api/v1/apps", body: { name: fresh(), team: "payments" } }),
    "GET /api/v1/apps/:app": async () => ({ path: "/api/v1/apps/owned" }),
    "PATCH /api/v1/apps/:app": async () => ({
      path: "/api/v1/apps/owned",
      body: { version: (await h.store.getApp("owned")).version, description: fresh() },
    }),
    "GET /api/v1/apps/:app/releases": async () => ({ path: "/api/v1/apps/owned/releases" }),
    "POST /api/v1/apps/:app/releases": async () => ({
      path: "/api/v1/apps/owned/releases",
      body: { repository: ownedRepo, commit: ownedCommit, image: imageAt(++n % 256) },
    }),
    "GET /api/v1/releases/:release": async () => ({ path: `/api/v1/releases/${releaseId}` }),
    "POST /api/v1/releases/:release/approvals": async () => ({
      path: `/api/v1/releases/${releaseId}/approvals`,
      body: { target: "staging" },
    }),
    "GET /api/v1/targets": async () => ({ path: "/api/v1/targets" }),
    "POST /api/v1/targets": async () => ({
      path: "/api/v1/targets",
      body: { name: fresh(), kind: "preview" },
    }),
    "GET /api/v1/apps/:app/deployments": async () => ({
      path: "/api/v1/apps/owned/deployments?target=staging",
    }),
    "POST /api/v1/apps/:app/deployments": async () => ({
      path: "/api/v1/apps/owned/deployments",
      body: { release: releaseId, target: "develop" },
    }),
    "GET /api/v1/deployments/:deployment": async () => ({
      path: `/api/v1/deployments/${(await h.store.startDeployment(systemActor, { releaseId, targetName: "staging" })).id}`,
    }),
    "POST /api/v1/deployments/:deployment/status": async () => ({
      path: `/api/v1/deployments/${(await h.store.startDeployment(systemActor, { releaseId, targetName: "staging" })).id}/status`,
      body: { status: "progressing" },
    }),
    "GET /api/v1/apps/:app/history": async () => ({ path: "/api/v1/apps/owned/history?limit=5" }),
    // By app: another team's app is a missing one (404). By team: see test/server-dora.test.ts (403).
    "GET /api/v1/dora": async () => ({ path: "/api/v1/dora?app=owned&window=30d" }),
    "GET /api/v1/teams": async () => ({ path: "/api/v1/teams" }),
    "POST /api/v1/teams": async () => ({ path: "/api/v1/teams", body: { name: fresh() } }),
    "PUT /api/v1/teams/:team/members": async () => ({
      path: "/api/v1/teams/payments/members",
      body: { subject: `test:${fresh()}`, role: "viewer" },
    }),
    "GET /api/v1/teams/:team/audit": async () => ({ path: "/api/v1/teams/payments/audit" }),
    "GET /api/v1/audit": async () => ({ path: "/api/v1/audit" }),
    "GET /api/v1/tokens": async () => ({ path: "/api/v1/tokens" }),
    "POST /api/v1/tokens": async () => ({ path: "/api/v1/tokens", body: { name: "t" } }),
    "DELETE /api/v1/tokens/:token": async (caller) => {
      const user = await h.store.findUserBySubject(`test:${caller}`);
      const { token } = await issueToken(h.store, systemActor, {
        userId: user!.id,
        name: "doomed",
        expiresAt: null,
      });
      return { path: `/api/v1/tokens/${token.id}` };
    },
    // A dry run: the same authorization as a promotion, repeatable in every cell.
    "POST /api/v1/apps/:app/promotions": async () => ({
      path: "/api/v1/apps/owned/promotions",
      body: { to: "integration", dryRun: true },
    }),
    "POST /api/v1/releases/:release/rejections": async () => ({
      path: `/api/v1/releases/${releaseId}/rejections`,
      body: { target: "beta", reason: "not yet" },
    }),
    // Not exclusive: each rollback queues behind the last and supersedes it.
    "POST /api/v1/apps/:app/rollbacks": async () => ({
      path: "/api/v1/apps/owned/rollbacks",
      body: { channel: "beta" },
    }),
    "GET /api/v1/apps/:app/status": async () => ({ path: "/api/v1/apps/owned/status" }),
    "GET /api/v1/freeze": async () => ({ path: "/api/v1/freeze" }),
    "PUT /api/v1/freeze": async () => ({ path: "/api/v1/freeze", body: { reason: "incident" } }),
    "DELETE /api/v1/freeze": async () => ({ path: "/api/v1/freeze" }),
  };

  test("every route has a row in the policy table and a sample request", () => {
    const routes = apiRoutes.map((r) => `${r.method.toUpperCase()} ${r.path}`).sort();
    assert.deepEqual(routes, Object.keys(policy).sort());
    assert.deepEqual(routes, Object.keys(samples).sort());
    assert.deepEqual(
      apiRoutes.filter((r) => r.concealed !== undefined).map((r) => `${r.method.toUpperCase()} ${r.path}`),
      [...concealed],
    );
  });

  for (const key of Object.keys(policy)) {
    test(key, async () => {
      const [method, _path] = key.split(" ") as [string, string];
      const needs = policy[key]!;
      const anonymous = await samples[key]!("viewer");
      assert.equal((await h.call(method, anonymous.path, { body: anonymous.body })).status, 401, "anonymous");
      const cells: string[] = [];
      for (const caller of callers) {
        const request = await samples[key]!(caller);
        const response = await h.call(method, request.path, { as: caller, body: request.body });
        const expectAllowed = allowed(needs, caller);
        const hidden = !expectAllowed && caller === "outsider" && concealed.has(key);
        const denied = hidden ? 404 : 403;
        const text = await response.text();
        const ok = expectAllowed
          ? response.status >= 200 && response.status < 300
          : response.status === denied;
        if (!ok)
          cells.push(`${caller}: expected ${expectAllowed ? "2xx" : denied}, got ${response.status} ${text}`);
        if (hidden) {
          const missingPath = missingVariant(request.path);
          assert.notEqual(missingPath, request.path);
          const missing = await h.call(method, missingPath, { as: caller, body: request.body });
          const missingText = await missing.text();
          // Names and ids differ; everything else must be the same, character for character.
          const [, existing] = /"(owned|(?:rel|dep)_[0-9a-f]{28})"/.exec(text) ?? [];
          const [, absent] = /"(absent|(?:rel|dep)_0{28})"/.exec(missingText) ?? [];
          assert.ok(existing && absent, `${text} / ${missingText}`);
          assert.equal(missing.status, response.status, `${caller}: status for a missing one`);
          assert.equal(missingText.replaceAll(absent, existing), text, `${caller}: body for a missing one`);
        }
      }
      assert.deepEqual(cells, []);
    });
  }
});
