/**
 * Exactly once against the real test control plane: three replicas on one fresh PostgreSQL
 * database run the deployment use case for 20 apps released from git, while replicas are
 * SIGKILLed when a job is rendering (before apply), just after it recorded `applying` (mid-apply)
 * and after it has been applying and following its rollout for a while (tracking), and started
 * again. Every deployment ends available once, and the cluster saw one write of each object: each
 * Deployment is at generation 1 and every object has one server-side apply entry of Slipway's.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { parse } from "yaml";
import { issueToken } from "../src/server/auth/api-tokens.ts";
import { openPostgresStore } from "../src/store/open.ts";
import { type Store, systemActor } from "../src/store/store.ts";
import { createNamespace, deleteNamespace, kubectlJson } from "./support/cluster-fixtures.ts";
import { postgresUrl } from "./support/databases.ts";
import { type Replica, startReplica as startEngineReplica } from "./support/engine-replicas.ts";
import { appSpec, commitFiles, imageAt, newRepository, removeRepository } from "./support/release-repos.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

const leaseMs = 2_000;
const apps = 20;

function startReplica(dbUrl: string, platformFile: string): Promise<Replica> {
  return startEngineReplica([dbUrl, "real", String(leaseMs), platformFile]);
}

describe("three replicas deploying to the test control plane, SIGKILLed mid-way", () => {
  const dbName = `slipway_once_k8s_${randomBytes(4).toString("hex")}`;
  const dbUrl = (() => {
    const url = new URL(postgresUrl);
    url.pathname = `/${dbName}`;
    return url.toString();
  })();
  const namespace = `engine-once-${randomBytes(3).toString("hex")}`;
  let admin: pg.Client;
  let store: Store;
  let dir: string;
  let repo: string;
  let kubeconfig: string;
  let platformFile: string;
  const replicas: Replica[] = [];

  before(async () => {
    kubeconfig = testKubeconfig();
    const context = String(
      (parse(readFileSync(kubeconfig, "utf8")) as { "current-context": string })["current-context"],
    );
    createNamespace(kubeconfig, namespace);
    dir = mkdtempSync(join(tmpdir(), "slipway-once-k8s-"));
    platformFile = join(dir, "slipway.platform.yaml");
    writeFileSync(
      platformFile,
      [
        "apiVersion: slipway.dev/v1",
        "kind: Platform",
        "clusters:",
        `  - { name: test, kubeconfig: { context: ${JSON.stringify(context)}, path: ${JSON.stringify(kubeconfig)} } }`,
        "channels:",
        `  - { name: staging, cluster: test, namespace: ${namespace}, domain: staging.example.com, policy: { mode: warn } }`,
        "",
      ].join("\n"),
    );
    admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    store = await openPostgresStore(dbUrl);
    repo = newRepository();
  });
  after(async () => {
    for (const r of replicas)
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
    await store?.close();
    await sleep(200);
    await admin?.query(`drop database if exists ${dbName} with (force)`).catch(() => {});
    await admin?.end();
    try {
      deleteNamespace(kubeconfig, namespace);
    } catch {
      // Unique to this run.
    }
    removeRepository(repo);
    rmSync(dir, { recursive: true, force: true });
  });

  test("20 deployments, 3 kills: each available once, each object written once", async () => {
    for (let i = 0; i < 3; i++) replicas.push(await startReplica(dbUrl, platformFile));
    await store.createTeam(systemActor, "payments");
    const user = await store.ensureUser(systemActor, {
      subject: "test:ci",
      displayName: "CI",
      isAdmin: true,
    });
    const { secret } = await issueToken(store, systemActor, { userId: user.id, name: "ci", expiresAt: null });
    const names = Array.from({ length: apps }, (_, i) => `once-${i}`);
    const files: Record<string, string> = {};
    for (const name of names) files[`apps/${name}/slipway.yaml`] = appSpec({ name, secrets: [] });
    const commit = commitFiles(repo, files, "twenty apps");
    const api = async (path: string, body: unknown) => {
      const response = await fetch(`${replicas[0]?.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      assert.ok(response.ok, `${path}: ${response.status} ${text}`);
      return JSON.parse(text) as { release: { id: string } };
    };
    const releases: string[] = [];
    for (const [i, name] of names.entries()) {
      await store.createApp(systemActor, { name, teamName: "payments", description: "" });
      releases.push(
        (
          await api(`/api/v1/apps/${name}/releases`, {
            repository: repo,
            path: `apps/${name}`,
            commit,
            image: imageAt(i + 1),
          })
        ).release.id,
      );
    }
    const ids: string[] = [];
    for (const release of releases) {
      ids.push(
        (await store.enqueueDeployment(systemActor, { releaseId: release, targetName: "staging" })).id,
      );
    }

    // Kill the replica holding a job in the chosen state, then start a new one.
    const kills: { when: string; deployment: string; at: number }[] = [];
    const plan: { when: string; pick: (status: string, applyingFor: number) => boolean }[] = [
      { when: "before apply (rendering)", pick: (s) => s === "rendering" },
      { when: "mid-apply (just recorded applying)", pick: (s, t) => s === "applying" && t < 300 },
      { when: "tracking the rollout (applying for a while)", pick: (s, t) => s === "applying" && t >= 600 },
    ];
    const applyingSince = new Map<string, number>();
    const settled = new Set(["available", "failed", "superseded", "rolled-back"]);
    const deadline = Date.now() + 240_000;
    for (;;) {
      const now = Date.now();
      const states = await Promise.all(
        ids.map(async (id) => ({
          id,
          status: (await store.getDeployment(id)).status,
          job: await store.getJob(id),
        })),
      );
      for (const s of states)
        if (s.status === "applying" && !applyingSince.has(s.id)) applyingSince.set(s.id, now);
      const step = plan[kills.length];
      if (step !== undefined) {
        const victim = states.find(
          (s) => s.job?.state === "running" && step.pick(s.status, now - (applyingSince.get(s.id) ?? now)),
        );
        const pid = Number(victim?.job?.leaseOwner?.split("/")[1]);
        const replica = replicas.find(
          (r) => r.pid === pid && r.child.exitCode === null && r.child.signalCode === null,
        );
        if (victim !== undefined && replica !== undefined) {
          try {
            process.kill(pid, "SIGKILL");
          } catch (error) {
            assert.fail(`replica ${pid} is gone already: ${String(error)}\n${replica.log()}`);
          }
          kills.push({ when: step.when, deployment: victim.id, at: Date.now() });
          await sleep(200);
          replicas.push(await startReplica(dbUrl, platformFile));
        }
      }
      if (states.every((s) => settled.has(s.status))) break;
      assert.ok(
        Date.now() < deadline,
        `not settled: ${states.filter((s) => !settled.has(s.status)).map((s) => s.status)}\n${replicas.map((r) => r.log()).join("\n")}`,
      );
      await sleep(20);
    }

    assert.equal(kills.length, plan.length, `kills: ${JSON.stringify(kills)}`);
    for (const id of ids) {
      const events = await store.deploymentEvents(id);
      assert.equal(events.at(-1)?.status, "available", `${id}: ${JSON.stringify(events)}`);
      assert.equal(events.filter((e) => settled.has(e.status)).length, 1, `${id}: one final state`);
    }
    for (const kill of kills) {
      const events = await store.deploymentEvents(kill.deployment);
      assert.ok(
        events.some((e) => /^taken over by/.test(e.message)),
        `${kill.deployment} (${kill.when}) was taken over`,
      );
    }
    for (const name of names) {
      const deployment = kubectlJson<{
        metadata: { generation: number; managedFields: { manager: string; operation: string }[] };
      }>(kubeconfig, ["-n", namespace, "get", "deployment", name, "--show-managed-fields"]);
      assert.equal(deployment.metadata.generation, 1, `${name}: the Deployment's spec was written once`);
      const applies = deployment.metadata.managedFields.filter(
        (f) => f.manager === "slipway" && f.operation === "Apply",
      );
      assert.equal(applies.length, 1, `${name}: one server-side apply entry`);
    }
    process.stderr.write(`exactly-once on the cluster: ${JSON.stringify({ apps, kills })}\n`);
  });
});
