/**
 * Automatic promotion (`src/engine/promoter.ts`) on SQLite and PostgreSQL: a channel with
 * `promote: auto` takes the release of the channel before once it is available there and the
 * gates pass; two replicas' promoters promote it once; a release is promoted automatically at most
 * once per channel, so a failure there waits for people.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Promoter } from "../src/engine/promoter.ts";
import { parsePlatform } from "../src/spec/parse.ts";
import type { Actor, Store } from "../src/store/store.ts";
import { createTestDatabase, type DatabaseKind, type TestDatabase } from "./support/databases.ts";

const alice: Actor = { userId: "u-alice", subject: "test:alice" };
const bob: Actor = { userId: "u-bob", subject: "test:bob" };
const platform = parsePlatform(
  `apiVersion: slipway.dev/v1
kind: Platform
clusters: [{ name: local, gitops: { directory: ./gitops } }]
channels:
  - { name: develop, cluster: local }
  - { name: staging, cluster: local, promote: auto, gates: { policy: false } }
  - { name: stable, cluster: local, promote: auto, gates: { policy: false, approvals: 1 } }
`,
  "slipway.platform.yaml",
);

for (const kind of ["sqlite", "postgres"] as DatabaseKind[]) {
  describe(`automatic promotion on ${kind}`, () => {
    let database: TestDatabase;
    let store: Store;
    let release = "";
    const promoter = () => new Promoter({ store, platform: () => platform, sweepMs: 0, log: () => {} });

    before(async () => {
      database = await createTestDatabase(kind);
      store = await database.open();
      await store.createTeam(alice, "payments");
      await store.createApp(alice, { name: "shop", teamName: "payments", description: "" });
      // The approver: a releaser of the team, as the approvals route requires.
      const approver = await store.ensureUser(alice, { subject: bob.subject, displayName: "Bob" });
      await store.setMembership(alice, "payments", approver.id, "releaser");
      for (const name of ["develop", "staging", "stable"])
        await store.createTarget(alice, { name, kind: "channel" });
      release = (
        await store.createRelease(alice, {
          appName: "shop",
          commitSha: "abcdef0",
          imageDigest: `sha256:${"a".repeat(64)}`,
          specHash: "1".repeat(64),
          secretsHash: "2".repeat(64),
          commitTime: null,
        })
      ).release.id;
    });
    after(async () => {
      await store?.close();
      await database?.dispose();
    });

    const finish = async (status: "available" | "failed") => {
      for (const { job } of await store.claimJobs({
        owner: "t",
        leaseMs: 10_000,
        timeoutMs: 60_000,
        limit: 10,
      })) {
        await store.recordJobStatus({
          deploymentId: job.deploymentId,
          owner: "t",
          fence: job.fence,
          status,
          message: status,
          leaseMs: 10_000,
        });
      }
    };
    const channel = async (target: string) =>
      (await store.listDeployments({ appName: "shop", targetName: target }, { limit: 10 })).items.map(
        (d) => d.status,
      );

    test("available in develop, it moves to staging by itself; stable waits for its approval", async () => {
      const p = promoter();
      assert.equal(await p.tick(), 0, "nothing available yet");
      await store.enqueueDeployment(alice, { releaseId: release, targetName: "develop" });
      await finish("available");
      assert.equal(await p.tick(), 1);
      assert.deepEqual(await channel("staging"), ["pending"]);
      const causes = await store.listDeploymentCauses("shop");
      assert.deepEqual(
        causes.map((c) => [c.kind, c.fromTarget]),
        [["auto-promotion", "develop"]],
      );
      assert.equal(await p.tick(), 0, "under way: not again");
      await finish("available");
      assert.equal(await p.tick(), 0, "stable needs an approval");
      assert.deepEqual(await channel("stable"), []);
      await store.recordApproval(bob, { releaseId: release, targetName: "stable" });
      // Two replicas at once: one promotes, the other is refused by the store.
      const [a, b] = await Promise.all([promoter().tick(), promoter().tick()]);
      assert.equal(a + b, 1);
      assert.deepEqual(await channel("stable"), ["pending"]);
    });

    test("a release that failed in a channel is not promoted there again by itself", async () => {
      await finish("failed");
      assert.equal(await promoter().tick(), 0);
      assert.deepEqual(await channel("stable"), ["failed"]);
    });
  });
}
