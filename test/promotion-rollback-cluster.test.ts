/**
 * A channel with `rollbackOnFailure: true` on the test control plane, through `startServer`: a new
 * release whose pods fail is rolled back by itself — the cluster holds the previous release's pod
 * template again, the deployment is recorded as rolled-back with the reason, and the channel
 * matrix still shows the previous release as what the channel runs.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parse } from "yaml";
import type { AppStatus } from "../src/api/promotion.ts";
import { type RunningServer, startServer } from "../src/server/main.ts";
import { systemActor } from "../src/store/store.ts";
import { createNamespace, deleteNamespace, kubectl } from "./support/cluster-fixtures.ts";
import { appSpec, commitFiles, imageAt, newRepository, removeRepository } from "./support/release-repos.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

describe("rollbackOnFailure on a cluster channel", () => {
  const namespace = `rbof-${randomBytes(3).toString("hex")}`;
  let dir: string;
  let repo: string;
  let server: RunningServer;
  let kubeconfig: string;

  before(async () => {
    kubeconfig = testKubeconfig();
    const context = String(
      (parse(readFileSync(kubeconfig, "utf8")) as { "current-context": string })["current-context"],
    );
    createNamespace(kubeconfig, namespace);
    dir = mkdtempSync(join(tmpdir(), "slipway-rbof-"));
    const platformFile = join(dir, "slipway.platform.yaml");
    writeFileSync(
      platformFile,
      [
        "apiVersion: slipway.dev/v1",
        "kind: Platform",
        "clusters:",
        `  - { name: test, kubeconfig: { context: ${JSON.stringify(context)}, path: ${JSON.stringify(kubeconfig)} } }`,
        "channels:",
        `  - { name: staging, cluster: test, namespace: ${namespace}, domain: staging.example.com, policy: { mode: warn }, rollbackOnFailure: true }`,
        "",
      ].join("\n"),
    );
    server = await startServer({
      dataDir: join(dir, "data"),
      listen: "127.0.0.1:0",
      demo: false,
      platformFile,
      allowLocalRepositories: true,
      env: {},
      engine: { timeoutMs: 180_000 },
      log: () => {},
    });
    await server.store.createTeam(systemActor, "payments");
    await server.store.createApp(systemActor, { name: "checkout", teamName: "payments", description: "" });
    repo = newRepository();
  });
  after(async () => {
    await server?.close();
    try {
      deleteNamespace(kubeconfig, namespace);
    } catch {
      // Best effort: the namespace is unique to this run.
    }
    removeRepository(repo);
    rmSync(dir, { recursive: true, force: true });
  });

  async function api(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text);
  }
  async function release(n: number, extra = ""): Promise<string> {
    const commit = commitFiles(repo, { "slipway.yaml": appSpec({ secrets: [], extra }) }, `v${n}`);
    const made = (await api("POST", "/api/v1/apps/checkout/releases", {
      repository: repo,
      commit,
      image: imageAt(n),
    })) as {
      release: { id: string };
    };
    return made.release.id;
  }
  /** The newest deployment to staging once it has settled. */
  async function settled(): Promise<AppStatus["channels"][number]> {
    const end = Date.now() + 150_000;
    for (;;) {
      const s = (await api("GET", "/api/v1/apps/checkout/status")) as AppStatus;
      const c = s.channels[0]!;
      const newest = c.latest ?? c.live;
      if (newest !== null && !["pending", "rendering", "applying", "progressing"].includes(newest.status))
        return c;
      assert.ok(Date.now() < end, JSON.stringify(c));
      await sleep(200);
    }
  }
  const image = () =>
    kubectl(kubeconfig, [
      "-n",
      namespace,
      "get",
      "deployment",
      "checkout",
      "-o",
      "jsonpath={.spec.template.spec.containers[0].image}",
    ]);

  test("a failing release is rolled back by itself and recorded as rolled-back", async () => {
    const good = await release(1);
    const first = await settled();
    assert.equal(first.latest, null, JSON.stringify(first));
    assert.equal(first.live?.releaseId, good, JSON.stringify(first));
    assert.equal(first.live?.cause, "auto-deploy");
    assert.match(image(), /@sha256:0101/);
    // kwok's chaos stage fails the pods of this release.
    const bad = await release(
      2,
      'labels: { "pod-container-running-failed.stage.kwok.x-k8s.io": "true" }\nrollout: { minReadySeconds: 4 }',
    );
    const after = await settled();
    assert.equal(after.latest?.releaseId, bad, JSON.stringify(after));
    assert.equal(after.latest?.status, "rolled-back");
    assert.equal(after.live?.releaseId, good, "the channel still runs the previous release");
    assert.match(image(), /@sha256:0101/);
    const detail = (await api("GET", `/api/v1/deployments/${after.latest!.id}`)) as {
      events: { status: string; message: string }[];
    };
    assert.match(detail.events.at(-1)!.message, /previous revision is back/);
  });
});
