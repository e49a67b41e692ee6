/**
 * The promoter (`src/engine/promoter.ts`) passes the same gates as a manual promotion: the
 * platform's custom policy rules and the live view of the channel before, handed in as the
 * server's `gatePorts`. A release a custom rule refuses, or whose channel before is short of
 * replicas live, is not promoted automatically; the same release is once the port says otherwise.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ChannelHealth, LiveHealth } from "../src/delivery/live-health.ts";
import type { GatePorts } from "../src/delivery/promotion-facts.ts";
import { Promoter } from "../src/engine/promoter.ts";
import { builtinRules } from "../src/policy/catalog.ts";
import { parseCustomRules } from "../src/policy/custom/parse.ts";
import { parsePlatform } from "../src/spec/parse.ts";
import type { Actor, Store } from "../src/store/store.ts";
import { createTestDatabase, type TestDatabase } from "./support/databases.ts";

const alice: Actor = { userId: "u-alice", subject: "test:alice" };
const platform = parsePlatform(
  `apiVersion: slipway.dev/v1
kind: Platform
clusters: [{ name: local, gitops: { directory: ./gitops } }]
channels:
  - { name: develop, cluster: local }
  - { name: staging, cluster: local, promote: auto, policy: { mode: enforce } }
`,
  "slipway.platform.yaml",
);
const customRules = parseCustomRules(
  [
    {
      path: "rules/no-experimental.yaml",
      text: `apiVersion: slipway.dev/v1
kind: PolicyRule
id: acme-no-experimental
title: Experimental workloads stay in develop
rationale: An experimental tier has not been through the load test that staging traffic needs.
severity: error
hint: Remove the tier label experimental before promoting.
match:
  kinds: [Deployment]
assert:
  - path: metadata.labels.tier
    notPattern: ^experimental$
    message: tier {value} is not promoted
examples:
  pass:
    - { apiVersion: apps/v1, kind: Deployment, metadata: { name: web, namespace: shop } }
  fail:
    - { apiVersion: apps/v1, kind: Deployment, metadata: { name: web, namespace: shop, labels: { tier: experimental } } }
  expect:
    object: Deployment/shop/web
    path: metadata.labels.tier
    message: tier experimental is not promoted
`,
    },
  ],
  new Set(builtinRules.map((r) => r.id)),
);

/** Clean under the built-in rules in enforce mode. */
const spec = (name: string, extra = "") =>
  new TextEncoder().encode(
    [
      "apiVersion: slipway.dev/v1",
      "kind: App",
      `name: ${name}`,
      "team: payments",
      `image: { repository: registry.example.com/payments/${name} }`,
      "ports: [{ name: http, port: 8080 }]",
      "resources: { requests: { cpu: 100m, memory: 64Mi }, limits: { memory: 128Mi } }",
      "health: { readiness: { http: { path: /healthz, port: http } } }",
      extra,
    ].join("\n"),
  );

const workload = (available: number): ChannelHealth => ({
  source: "live",
  where: "cluster east, namespace cart-develop",
  workloads: [
    {
      kind: "Deployment",
      name: "cart",
      release: undefined,
      desired: 2,
      ready: available,
      available,
      restarts: [],
    },
  ],
});

describe("automatic promotion through the server's gate ports", () => {
  let database: TestDatabase;
  let store: Store;
  const logged: string[] = [];
  const promoter = (gatePorts: GatePorts) =>
    new Promoter({ store, platform: () => platform, gatePorts, sweepMs: 0, log: (l) => logged.push(l) });
  const staging = async (app: string) =>
    (await store.listDeployments({ appName: app, targetName: "staging" }, { limit: 10 })).items;

  before(async () => {
    database = await createTestDatabase("sqlite");
    store = await database.open();
    await store.createTeam(alice, "payments");
    for (const name of ["develop", "staging"]) await store.createTarget(alice, { name, kind: "channel" });
    for (const [app, extra] of [
      ["shop", "labels: { tier: experimental }"],
      ["cart", ""],
    ] as const) {
      await store.createApp(alice, { name: app, teamName: "payments", description: "" });
      const { release } = await store.createRelease(alice, {
        appName: app,
        commitSha: "abcdef0",
        imageDigest: `sha256:${"a".repeat(64)}`,
        specHash: "1".repeat(64),
        secretsHash: "2".repeat(64),
        commitTime: null,
        files: [{ path: "slipway.yaml", content: spec(app, extra) }],
      });
      await store.enqueueDeployment(alice, { releaseId: release.id, targetName: "develop" });
    }
    await finishQueued();
  });
  /** Every queued deployment ends available, as the engine would end it. */
  async function finishQueued(): Promise<void> {
    const claimed = await store.claimJobs({ owner: "t", leaseMs: 10_000, timeoutMs: 60_000, limit: 10 });
    for (const { job } of claimed) {
      await store.recordJobStatus({
        deploymentId: job.deploymentId,
        owner: "t",
        fence: job.fence,
        status: "available",
        message: "available",
        leaseMs: 10_000,
      });
    }
  }
  after(async () => {
    await store?.close();
    await database?.dispose();
  });

  test("a custom rule holds an automatic promotion as it holds a manual one", async () => {
    const healthy: LiveHealth = {
      channelHealth: async ({ app }) =>
        app === "shop" ? { source: "recorded", where: "GitOps directory ./gitops" } : workload(2),
    };
    assert.equal(await promoter({ customRules: () => customRules, liveHealth: healthy }).tick(), 1);
    assert.deepEqual(await staging("shop"), [], "the experimental release stays in develop");
    assert.equal((await staging("cart")).length, 1, "the clean one moves on");
    // Without the platform's custom rules, the same release passes: the rule was what held it.
    assert.equal(await promoter({ customRules: () => [], liveHealth: healthy }).tick(), 1);
    assert.equal((await staging("shop")).length, 1);
  });

  test("a channel before that is short of replicas live holds an automatic promotion", async () => {
    // A new release of cart, available in develop as recorded.
    const { release } = await store.createRelease(alice, {
      appName: "cart",
      commitSha: "abcdef1",
      imageDigest: `sha256:${"b".repeat(64)}`,
      specHash: "3".repeat(64),
      secretsHash: "2".repeat(64),
      commitTime: null,
      files: [{ path: "slipway.yaml", content: spec("cart") }],
    });
    // What the first test queued for staging ends first: a deployment under way holds promotion.
    await store.enqueueDeployment(alice, { releaseId: release.id, targetName: "develop" });
    await finishQueued();
    let available = 1;
    const live: LiveHealth = { channelHealth: async () => workload(available) };
    const ports = { customRules: () => customRules, liveHealth: live };
    assert.equal(await promoter(ports).tick(), 0);
    assert.ok(
      !(await staging("cart")).some((d) => d.releaseId === release.id),
      "not promoted while develop has 1 of 2 replicas available",
    );
    available = 2;
    assert.equal(await promoter(ports).tick(), 1);
    assert.equal((await staging("cart"))[0]!.releaseId, release.id);
  });

  test("the cluster is read only for a release every other gate lets through", async () => {
    // A new release of shop, still experimental: the custom rule holds it at every pass.
    const { release } = await store.createRelease(alice, {
      appName: "shop",
      commitSha: "abcdef2",
      imageDigest: `sha256:${"c".repeat(64)}`,
      specHash: "4".repeat(64),
      secretsHash: "2".repeat(64),
      commitTime: null,
      files: [{ path: "slipway.yaml", content: spec("shop", "labels: { tier: experimental }") }],
    });
    await store.enqueueDeployment(alice, { releaseId: release.id, targetName: "develop" });
    await finishQueued();
    const read: string[] = [];
    const counting: LiveHealth = {
      channelHealth: async ({ app }) => {
        read.push(app);
        return workload(2);
      },
    };
    const held = promoter({ customRules: () => customRules, liveHealth: counting });
    for (let pass = 0; pass < 3; pass++) assert.equal(await held.tick(), 0);
    // Three passes over a held release: a live read could only hold it more.
    assert.deepEqual(read, []);
    assert.ok(!(await staging("shop")).some((d) => d.releaseId === release.id));
  });
});
