/**
 * The deployment use case with its ports as plain objects: what it records and in which order,
 * and what it refuses before anything reaches the target or the key ring.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isSlipwayError } from "../core/errors.ts";
import type { KeyRing } from "../secrets/key-ring.ts";
import { defaultPlatform, parsePlatform } from "../spec/parse.ts";
import { appFilesFrom, type DeployPorts, type DeployStage, deployRelease } from "./deploy.ts";
import type { ApplyRequest, DeployTarget } from "./deploy-target.ts";

const digest = `sha256:${"b".repeat(64)}`;
const spec = (extra = "") =>
  `apiVersion: slipway.dev/v1\nkind: App\nname: shop\nteam: t\nimage: { repository: r.example.com/shop, tag: "1" }\nports: [{ name: http, port: 8080 }]\n${extra}`;

function fakePorts() {
  const applied: ApplyRequest[] = [];
  const recorded: { status: DeployStage; message: string }[] = [];
  let keysAsked = 0;
  const target: DeployTarget = {
    describe: () => "test target",
    undo: "git-revert",
    plan: async () => [],
    apply: async (request) => {
      applied.push(request);
      return { changes: [], wrote: true, revision: "abc123" };
    },
  };
  const ports: DeployPorts = {
    target: () => target,
    keys: () => {
      keysAsked++;
      throw new Error("no key ring in this test");
    },
    recorder: { record: async ({ status, message }) => void recorded.push({ status, message }) },
    clock: () => new Date("2026-05-01T12:00:00Z"),
  };
  return { ports, applied, recorded, keysAsked: () => keysAsked };
}

const source = (text: string) => ({
  spec: { text, file: "shop/slipway.yaml" },
  files: appFilesFrom(new Map(), "the test"),
});

test("a deploy records rendering, applying and progressing, and applies the release it was given", async () => {
  const { ports, applied, recorded, keysAsked } = fakePorts();
  const outcome = await deployRelease(
    {
      app: source(spec()),
      platform: defaultPlatform(),
      target: "develop",
      image: digest,
      release: { commit: "c0ffee1", id: "rel_1" },
    },
    { prune: true },
    ports,
  );
  assert.equal(outcome.status, "applied");
  assert.deepEqual(
    recorded.map((r) => r.status),
    ["rendering", "applying", "progressing"],
  );
  assert.match(recorded[2]!.message, /^committed \(abc123\)/);
  assert.equal(applied.length, 1);
  assert.deepEqual(applied[0]!.release, { commit: "c0ffee1", image: `r.example.com/shop@${digest}` });
  assert.deepEqual(applied[0]!.scope, { app: "shop", target: "develop", team: "t" });
  assert.equal(keysAsked(), 0, "an app without secrets needs no key");
});

test("on a cluster that follows the rollout, progressing is recorded once the objects are written, before available", async () => {
  const { ports, recorded } = fakePorts();
  let resume = () => {};
  const cluster: DeployTarget = {
    describe: () => "test cluster",
    undo: "rollback",
    plan: async () => [],
    apply: async (request) => {
      request.onProgress?.({ type: "applied", writes: 3 });
      // The rollout is followed: while it lasts, the deployment reads progressing.
      await new Promise<void>((resolve) => {
        resume = resolve;
      });
      return { changes: [], wrote: true, revision: "3 objects written" };
    },
  };
  const deploying = deployRelease(
    { app: source(spec()), platform: defaultPlatform(), target: "develop", image: digest },
    { prune: true, wait: true },
    { ...ports, target: () => cluster },
  );
  for (let i = 0; i < 100 && recorded.length < 3; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    recorded.map((r) => r.status),
    ["rendering", "applying", "progressing"],
  );
  assert.equal(recorded[2]!.message, "applied (3 objects written); following the rollout");
  resume();
  assert.equal((await deploying).status, "available");
  assert.deepEqual(
    recorded.map((r) => r.status),
    ["rendering", "applying", "progressing", "available"],
  );
});

test("an app registered to another team is refused and recorded as failed; nothing is applied", async () => {
  const { ports, applied, recorded } = fakePorts();
  await assert.rejects(
    deployRelease(
      { app: source(spec()), platform: defaultPlatform(), target: "develop", image: digest, team: "other" },
      {},
      ports,
    ),
    (error) =>
      isSlipwayError(error) &&
      error.code === "SLIPWAY_E_FORBIDDEN" &&
      /registered to team other/.test(error.message),
  );
  assert.equal(applied.length, 0);
  assert.deepEqual(
    recorded.map((r) => r.status),
    ["rendering", "failed"],
  );
});

test("an enforcing channel's policy block stops the deploy before secrets are opened or anything applied", async () => {
  const platform = parsePlatform(
    [
      "apiVersion: slipway.dev/v1",
      "kind: Platform",
      "clusters: [{ name: local, gitops: { directory: gitops } }]",
      "channels: [{ name: prod, cluster: local, domain: prod.example.com, policy: { mode: enforce } }]",
      "",
    ].join("\n"),
    "platform.yaml",
  );
  const { ports, applied, recorded, keysAsked } = fakePorts();
  const leaky = spec(
    "env: { DATABASE_PASSWORD: hunter2-in-plain-sight }\nsecrets: [{ name: app, file: app.enc.yaml }]\n",
  );
  await assert.rejects(
    deployRelease({ app: source(leaky), platform, target: "prod", image: digest }, {}, ports),
    (error) => isSlipwayError(error) && error.code === "SLIPWAY_E_POLICY_BLOCKED",
  );
  assert.equal(applied.length, 0);
  assert.equal(keysAsked(), 0, "no secret was opened");
  assert.equal(recorded.at(-1)?.status, "failed");
  assert.match(recorded.at(-1)!.message, /^policy blocks prod/);
  assert.doesNotMatch(recorded.at(-1)!.message, /hunter2/);
});

test("a secret file missing from a snapshot names the file and the snapshot", async () => {
  const { ports } = fakePorts();
  const withSecret = spec("secrets: [{ name: app, file: app.enc.yaml }]\n");
  await assert.rejects(
    deployRelease(
      { app: source(withSecret), platform: defaultPlatform(), target: "develop", image: digest },
      {},
      { ...ports, keys: () => ({}) as KeyRing },
    ),
    /secret file app\.enc\.yaml \(named in slipway\.yaml\) is not in the test/,
  );
});
