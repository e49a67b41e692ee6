/**
 * The promoter's quick path: a deployment becoming available is seen at the promoter's next look
 * (every half second), not at its slow pass over every app (every few seconds), even when no one
 * follows the event stream — the promoter numbers the committed events it reads itself.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Promoter } from "../src/engine/promoter.ts";
import { parsePlatform } from "../src/spec/parse.ts";
import type { Actor, Store } from "../src/store/store.ts";
import { createTestDatabase, type DatabaseKind, type TestDatabase } from "./support/databases.ts";

const alice: Actor = { userId: "u-alice", subject: "test:alice" };
const platform = parsePlatform(
  `apiVersion: slipway.dev/v1
kind: Platform
clusters: [{ name: local, gitops: { directory: ./gitops } }]
channels:
  - { name: develop, cluster: local }
  - { name: staging, cluster: local, promote: auto, gates: { policy: false } }
`,
  "slipway.platform.yaml",
);

for (const kind of ["sqlite", "postgres"] as DatabaseKind[]) {
  describe(`the promoter follows new events on ${kind}`, () => {
    let database: TestDatabase;
    let store: Store;

    before(async () => {
      database = await createTestDatabase(kind);
      store = await database.open();
      await store.createTeam(alice, "payments");
      await store.createApp(alice, { name: "shop", teamName: "payments", description: "" });
      for (const name of ["develop", "staging"]) await store.createTarget(alice, { name, kind: "channel" });
    });
    after(async () => {
      await store?.close();
      await database?.dispose();
    });

    test("available in develop, it is promoted at the next look, with the slow pass an hour away", async () => {
      // The first look reads where the events stand; the slow pass is done once, then not for an hour.
      const p = new Promoter({ store, platform: () => platform, sweepMs: 3_600_000, log: () => {} });
      assert.equal(await p.tick(), 0);
      const { release } = await store.createRelease(alice, {
        appName: "shop",
        commitSha: "abcdef0",
        imageDigest: `sha256:${"a".repeat(64)}`,
        specHash: "1".repeat(64),
        secretsHash: "2".repeat(64),
        commitTime: null,
      });
      await store.enqueueDeployment(alice, { releaseId: release.id, targetName: "develop" });
      for (const { job } of await store.claimJobs({
        owner: "t",
        leaseMs: 10_000,
        timeoutMs: 60_000,
        limit: 1,
      })) {
        await store.recordJobStatus({
          deploymentId: job.deploymentId,
          owner: "t",
          fence: job.fence,
          status: "available",
          message: "available",
          leaseMs: 10_000,
        });
      }
      assert.equal(await p.tick(), 1, "promoted on the event, not by the slow pass");
      const staging = await store.listDeployments({ appName: "shop", targetName: "staging" }, { limit: 5 });
      assert.deepEqual(
        staging.items.map((d) => d.status),
        ["pending"],
      );
    });
  });
}
