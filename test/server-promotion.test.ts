/**
 * Promotion, gates and rollback through the HTTP API, on SQLite and PostgreSQL: a release read from
 * git deploys itself to the first channel, moves on only when the next channel's gates pass, and
 * each refusal says why and writes nothing. The engine's part is played by claiming the queued
 * jobs and recording their outcome, as the engine does.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parsePlatform } from "../src/spec/parse.ts";
import { systemActor } from "../src/store/store.ts";
import { createHarness, type Harness } from "./support/api-harness.ts";
import type { DatabaseKind } from "./support/databases.ts";
import { appSpec, commitFiles, imageAt, newRepository } from "./support/release-repos.ts";

const platform = parsePlatform(
  `apiVersion: slipway.dev/v1
kind: Platform
clusters:
  - name: local
    gitops: { directory: ./gitops }
channels:
  - { name: develop, cluster: local }
  - name: staging
    cluster: local
    gates: { approvals: 1 }
  - name: stable
    cluster: local
    gates: { soak: 1h }
`,
  "slipway.platform.yaml",
);

/** What the channels' policy asks of every container, so that the policy gate passes. */
const clean = [
  "resources:",
  "  requests: { cpu: 100m, memory: 64Mi }",
  "  limits: { memory: 128Mi }",
  "health:",
  "  readiness:",
  "    http: { path: /ready, port: http }",
].join("\n");

for (const kind of ["sqlite", "postgres"] as DatabaseKind[]) {
  describe(`promotion on ${kind}`, () => {
    let h: Harness;
    const repo = newRepository();
    const commits = [1, 2].map((n) =>
      commitFiles(
        repo,
        { "slipway.yaml": appSpec({ name: "shop", secrets: [], extra: `description: v${n}\n${clean}` }) },
        `shop v${n}`,
      ),
    );
    const releases: string[] = [];

    before(async () => {
      h = await createHarness({ kind, platform });
      await h.store.createApp(systemActor, { name: "shop", teamName: "payments", description: "" });
      await h.store.createApp(systemActor, { name: "other", teamName: "payments", description: "" });
      for (const name of ["develop", "staging", "stable"]) {
        await h.store.createTarget(systemActor, { name, kind: "channel" });
      }
    });
    after(() => h?.dispose());

    const post = async (path: string, body: unknown, as: "releaser" | "viewer" | "admin" = "releaser") => {
      const response = await h.call("POST", path, { as, body });
      // biome-ignore lint/suspicious/noExplicitAny: the test reads whichever fields each answer has
      return { status: response.status, body: (await response.json()) as Record<string, any> };
    };
    const release = async (n: number) => {
      const made = await post(
        "/api/v1/apps/shop/releases",
        { repository: repo, commit: commits[n - 1], image: imageAt(n) },
        "admin",
      );
      assert.equal(made.status, 201, JSON.stringify(made.body));
      return made.body.release.id as string;
    };
    /** What the engine does: claim every queued job and record its outcome. */
    const finishJobs = async (status: "available" | "failed" = "available") => {
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
          status,
          message: status,
          leaseMs: 10_000,
        });
      }
      return claimed.length;
    };
    const deployments = async (target: string) =>
      (await h.store.listDeployments({ appName: "shop", targetName: target }, { limit: 50 })).items;

    test("a new release deploys itself to the first channel, recorded as such", async () => {
      releases.push(await release(1));
      const develop = await deployments("develop");
      assert.deepEqual(
        develop.map((d) => [d.releaseId, d.status]),
        [[releases[0], "pending"]],
      );
      assert.deepEqual(await deployments("staging"), []);
      const causes = await h.store.listDeploymentCauses("shop");
      assert.equal(causes[0]?.kind, "auto-deploy");
    });

    test("refusals say why and write nothing", async () => {
      const before = (await h.store.listAudit({}, { limit: 200 })).items.length;
      const pending = await post("/api/v1/apps/shop/promotions", { to: "staging" });
      assert.equal(pending.status, 409);
      assert.match(
        pending.body.error.message,
        /nothing of shop is available in develop to promote to staging: its latest deployment there, dep_\w+ \(release rel_\w+\), is pending/,
      );
      await finishJobs();
      const unknown = await post("/api/v1/apps/shop/promotions", { to: "prod" });
      assert.equal(unknown.status, 400);
      assert.match(
        unknown.body.error.message,
        /"prod" is not a channel of the platform; its channels, in promotion order: develop → staging → stable/,
      );
      const first = await post("/api/v1/apps/shop/promotions", { to: "develop" });
      assert.equal(first.status, 400);
      assert.match(first.body.error.message, /develop is the first channel/);
      const gated = await post("/api/v1/apps/shop/promotions", { to: "staging" });
      assert.equal(gated.status, 409);
      assert.match(
        gated.body.error.message,
        /held by its gates: approvals waiting — 0 of 1 approval for staging; needs 1 more from a releaser of team payments other than test:admin/,
      );
      assert.equal(
        gated.body.error.details.gates.find((g: { gate: string }) => g.gate === "approvals").state,
        "waiting",
      );
      const otherRelease = (
        await h.store.createRelease(systemActor, {
          appName: "other",
          commitSha: "abcdef1",
          imageDigest: `sha256:${"d".repeat(64)}`,
          specHash: "1".repeat(64),
          secretsHash: "2".repeat(64),
          commitTime: null,
        })
      ).release.id;
      const wrongApp = await post("/api/v1/apps/shop/promotions", { to: "staging", release: otherRelease });
      assert.equal(wrongApp.status, 400);
      assert.match(wrongApp.body.error.message, /belongs to other, not shop/);
      const viewer = await post("/api/v1/apps/shop/promotions", { to: "staging" }, "viewer");
      assert.equal(viewer.status, 403);
      assert.match(viewer.body.error.message, /needs the releaser role in team "payments"; you are viewer/);
      assert.deepEqual(await deployments("staging"), []);
      const audit = (await h.store.listAudit({}, { limit: 200 })).items;
      // Only the engine's recording of the develop deployment and the other app's release made
      // above: no refusal wrote anything.
      assert.deepEqual(
        [...new Set(audit.slice(0, audit.length - before).map((e) => e.action))],
        ["release.create", "deployment.status"],
      );
    });

    test("an approval counts only while its giver may approve: one from a member since removed opens nothing", async () => {
      const leaving = await h.store.ensureUser(systemActor, {
        subject: "test:leaving",
        displayName: "Leaving",
      });
      await h.store.setMembership(systemActor, "payments", leaving.id, "releaser");
      await h.store.recordApproval(
        { userId: leaving.id, subject: leaving.subject },
        {
          releaseId: releases[0]!,
          targetName: "staging",
        },
      );
      const dry = async () =>
        (await post("/api/v1/apps/shop/promotions", { to: "staging", dryRun: true })).body;
      assert.equal((await dry()).gates.state, "pass", "approved by a releaser of the team");
      await h.store.setMembership(systemActor, "payments", leaving.id, "viewer");
      const held = await dry();
      assert.equal(held.gates.state, "waiting");
      assert.match(
        held.gates.gates.find((g: { gate: string }) => g.gate === "approvals").reason,
        /0 of 1 approval .*test:leaving approved but no longer is a releaser of team payments/,
      );
      const refused = await post("/api/v1/apps/shop/promotions", { to: "staging" });
      assert.equal(refused.status, 409);
      assert.deepEqual(await deployments("staging"), []);
    });

    test("approved, it is promoted exactly as it is; a second promotion while it runs is refused, naming it", async () => {
      assert.equal(
        (await post(`/api/v1/releases/${releases[0]}/approvals`, { target: "staging" })).status,
        201,
      );
      const promoted = await post("/api/v1/apps/shop/promotions", { to: "staging" });
      assert.equal(promoted.status, 201, JSON.stringify(promoted.body));
      assert.equal(promoted.body.release.id, releases[0]);
      assert.equal(promoted.body.digest, `sha256:${"01".repeat(32)}`);
      assert.equal(promoted.body.deployment.status, "pending");
      const again = await post("/api/v1/apps/shop/promotions", { to: "staging" });
      assert.equal(again.status, 409);
      assert.match(
        again.body.error.message,
        new RegExp(`already under way: ${promoted.body.deployment.id} \\(#1, pending\\)`),
      );
      const cause = (await h.store.listDeploymentCauses("shop")).find(
        (c) => c.deploymentId === promoted.body.deployment.id,
      );
      assert.deepEqual([cause?.kind, cause?.fromTarget], ["promotion", "develop"]);
      await finishJobs();
    });

    test("soak waits with the time left; the dry run shows digest, commits, diff and policy; a stopped line fails every gate report", async () => {
      const soaking = await post("/api/v1/apps/shop/promotions", { to: "stable" });
      assert.equal(soaking.status, 409);
      const soak = soaking.body.error.details.gates.find((g: { gate: string }) => g.gate === "soak");
      assert.equal(soak.state, "waiting");
      assert.ok(soak.waitSeconds > 3500 && soak.waitSeconds <= 3600, String(soak.waitSeconds));
      const dry = await post("/api/v1/apps/shop/promotions", { to: "stable", dryRun: true });
      assert.equal(dry.status, 200);
      assert.equal(dry.body.digest, `sha256:${"01".repeat(32)}`);
      assert.deepEqual(
        dry.body.preview.commits.map((c: { commitSha: string }) => c.commitSha),
        [commits[0]],
      );
      assert.match(dry.body.preview.diff, /\+\+\+ b\/Deployment\/shop-stable\/shop\n/);
      assert.match(dry.body.preview.diff, /\+ {8}- image: .*@sha256:0101/);
      assert.deepEqual(dry.body.preview.policy, { passed: true, blocking: [] });
      assert.equal(dry.body.deployment, null);
      assert.deepEqual(await deployments("stable"), []);
      const stop = await h.call("PUT", "/api/v1/freeze", {
        as: "platform-admin",
        body: { reason: "incident 7" },
      });
      assert.equal(stop.status, 200);
      const stopped = await post("/api/v1/apps/shop/promotions", { to: "stable", dryRun: true });
      assert.equal(stopped.body.gates.gates[0].state, "fail");
      assert.match(
        stopped.body.gates.gates[0].reason,
        /stopped for every promotion by test:platform-admin .*: incident 7/,
      );
      assert.equal((await h.call("DELETE", "/api/v1/freeze", { as: "platform-admin" })).status, 200);
    });

    test("rollback deploys the release available before, recorded as a rollback; a rejection fails the gate with its reason", async () => {
      const nothing = await post("/api/v1/apps/shop/rollbacks", { channel: "staging" });
      assert.equal(nothing.status, 409);
      assert.match(
        nothing.body.error.message,
        /no release was available in staging before dep_\w+ .*nothing to roll back to/,
      );
      releases.push(await release(2));
      await finishJobs();
      await post(`/api/v1/releases/${releases[1]}/approvals`, { target: "staging" });
      assert.equal((await post("/api/v1/apps/shop/promotions", { to: "staging" })).status, 201);
      await finishJobs();
      const live = (await deployments("staging"))[0]!;
      assert.deepEqual([live.releaseId, live.status], [releases[1], "available"]);
      const rollback = await post("/api/v1/apps/shop/rollbacks", { channel: "staging", reason: "500s" });
      assert.equal(rollback.status, 201, JSON.stringify(rollback.body));
      assert.equal(rollback.body.release.id, releases[0]);
      assert.equal(rollback.body.undoes, live.id);
      const cause = (await h.store.listDeploymentCauses("shop")).find(
        (c) => c.deploymentId === rollback.body.deployment.id,
      );
      assert.deepEqual([cause?.kind, cause?.rollbackOf, cause?.reason], ["rollback", live.id, "500s"]);
      await finishJobs();
      // staging runs release 1 again; release 2 waits in develop, and the admin says no.
      assert.equal(
        (
          await post(
            `/api/v1/releases/${releases[1]}/rejections`,
            { target: "staging", reason: "breaks checkout" },
            "admin",
          )
        ).status,
        201,
      );
      const status = await h.call("GET", "/api/v1/apps/shop/status", { as: "viewer" });
      const matrix = (await status.json()) as {
        // biome-ignore lint/suspicious/noExplicitAny: the next promotion's shape is asserted below
        channels: { name: string; release: { id: string } | null; live: { cause: string }; next: any }[];
      };
      assert.deepEqual(
        matrix.channels.map((c) => [c.name, c.release?.id ?? null]),
        [
          ["develop", releases[1]],
          ["staging", releases[0]],
          ["stable", null],
        ],
      );
      const staging = matrix.channels[1]!;
      assert.equal(staging.live.cause, "rollback");
      assert.equal(staging.next.releaseId, releases[1]);
      assert.equal(staging.next.gates.state, "fail");
      assert.match(
        staging.next.gates.gates.find((g: { gate: string }) => g.gate === "approvals").reason,
        /rejected for staging by test:admin .*: breaks checkout/,
      );
      assert.equal(matrix.channels[2]!.next.releaseId, releases[0]);
      assert.equal(matrix.channels[2]!.next.gates.state, "waiting");
    });

    test("a plain deployment cannot skip a channel's gates: only the first channel takes one, or a platform administrator", async () => {
      const before = (await h.store.listAudit({}, { limit: 200 })).items.length;
      // stable's soak has not passed and staging's approvals were refused: a promotion is held.
      assert.equal((await post("/api/v1/apps/shop/promotions", { to: "stable" })).status, 409);
      for (const as of ["releaser", "admin"] as const) {
        const direct = await post(
          "/api/v1/apps/shop/deployments",
          { release: releases[0], target: "stable" },
          as,
        );
        assert.equal(direct.status, 403, JSON.stringify(direct.body));
        assert.match(
          direct.body.error.message,
          /stable comes after staging: a release reaches it by promotion, through its gates \(`slipway promote shop --to stable`\)/,
        );
        assert.equal(direct.body.error.details.required, "platform-admin");
      }
      assert.deepEqual(await deployments("stable"), []);
      assert.equal((await h.store.listAudit({}, { limit: 200 })).items.length, before, "nothing written");
      // The first channel takes a plain deployment; a platform administrator may go anywhere.
      assert.equal(
        (await post("/api/v1/apps/shop/deployments", { release: releases[0], target: "develop" })).status,
        201,
      );
      const byAdmin = await h.call("POST", "/api/v1/apps/shop/deployments", {
        as: "platform-admin",
        body: { release: releases[0], target: "stable" },
      });
      assert.equal(byAdmin.status, 201);
    });
  });
}
