/**
 * The engine with the real deployment use case, end to end through `startServer`: a release read
 * from a git commit, deployed over the API to a channel on a GitOps repository and to a channel
 * on the test control plane, each followed to available. Deploying the same release again — what a
 * successor does after a takeover — writes nothing: no second commit, no new resourceVersion.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parse } from "yaml";
import { type RunningServer, startServer } from "../src/server/main.ts";
import { systemActor } from "../src/store/store.ts";
import { createNamespace, deleteNamespace, kubectlJson } from "./support/cluster-fixtures.ts";
import { appSpec, commitFiles, imageAt, newRepository, removeRepository } from "./support/release-repos.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

describe("the engine runs the deployment use case", () => {
  const namespace = `engine-e2e-${randomBytes(3).toString("hex")}`;
  let dir: string;
  let repo: string;
  let server: RunningServer;
  let token: string;
  let release: string;
  let kubeconfig: string;

  before(async () => {
    kubeconfig = testKubeconfig();
    const context = String(
      (parse(readFileSync(kubeconfig, "utf8")) as { "current-context": string })["current-context"],
    );
    // The platform team's namespace for the channel; the app does not own it.
    createNamespace(kubeconfig, namespace);
    dir = mkdtempSync(join(tmpdir(), "slipway-engine-e2e-"));
    execFileSync("git", ["init", "-q", "-b", "main", join(dir, "gitops")]);
    const platformFile = join(dir, "slipway.platform.yaml");
    writeFileSync(
      platformFile,
      [
        "apiVersion: slipway.dev/v1",
        "kind: Platform",
        "clusters:",
        "  - { name: repo, gitops: { directory: gitops } }",
        `  - { name: test, kubeconfig: { context: ${JSON.stringify(context)}, path: ${JSON.stringify(kubeconfig)} } }`,
        "channels:",
        "  - { name: develop, cluster: repo, domain: develop.example.com, policy: { mode: warn } }",
        `  - { name: staging, cluster: test, namespace: ${namespace}, domain: staging.example.com, policy: { mode: warn } }`,
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
    token = server.adminToken ?? "";
    await server.store.createTeam(systemActor, "payments");
    await server.store.createApp(systemActor, { name: "ledger-api", teamName: "payments", description: "" });
    repo = newRepository();
    const commit = commitFiles(
      repo,
      { "slipway.yaml": appSpec({ name: "ledger-api", secrets: [] }) },
      "ledger-api",
    );
    const made = await api("POST", "/api/v1/apps/ledger-api/releases", {
      repository: repo,
      commit,
      image: imageAt(0x1e),
    });
    release = (made as { release: { id: string } }).release.id;
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
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text);
  }

  async function deployAndWait(target: string): Promise<{ statuses: string[]; messages: string[] }> {
    const { id } = (await api("POST", "/api/v1/apps/ledger-api/deployments", { release, target })) as {
      id: string;
    };
    const end = Date.now() + 150_000;
    for (;;) {
      const detail = (await api("GET", `/api/v1/deployments/${id}`)) as {
        status: string;
        events: { status: string; message: string }[];
      };
      if (["available", "failed", "rolled-back", "superseded"].includes(detail.status)) {
        assert.equal(detail.status, "available", JSON.stringify(detail.events, null, 1));
        return {
          statuses: detail.events.map((e) => e.status),
          messages: detail.events.map((e) => e.message),
        };
      }
      assert.ok(Date.now() < end, `still ${detail.status}`);
      await sleep(100);
    }
  }

  const commits = () =>
    Number(
      execFileSync("git", ["-C", join(dir, "gitops"), "rev-list", "--count", "HEAD"], { encoding: "utf8" }),
    );

  test("GitOps channel: rendered from the snapshot and committed; the same release again commits nothing", async () => {
    const first = await deployAndWait("develop");
    assert.deepEqual(first.statuses, ["pending", "rendering", "applying", "progressing", "available"]);
    assert.match(first.messages[4] ?? "", /^committed .*GitOps controller rolls it out/);
    const count = commits();
    assert.ok(count >= 1);
    const again = await deployAndWait("develop");
    assert.equal(again.statuses.at(-1), "available");
    assert.equal(commits(), count, "an apply of the same release is no new commit");
  });

  test("cluster channel: applied by server-side apply and followed until available; again, no write", async () => {
    const first = await deployAndWait("staging");
    // Progressing from the moment the objects are written until the rollout is followed through.
    assert.deepEqual(first.statuses, ["pending", "rendering", "applying", "progressing", "available"]);
    assert.match(first.messages.at(-2) ?? "", /^applied \(\d+ objects written\); following the rollout$/);
    assert.match(first.messages.at(-1) ?? "", /all workloads available/);
    const before = kubectlJson<{ metadata: { resourceVersion: string } }>(kubeconfig, [
      "-n",
      namespace,
      "get",
      "deployment",
      "ledger-api",
    ]).metadata.resourceVersion;
    await deployAndWait("staging");
    const after = kubectlJson<{ metadata: { resourceVersion: string } }>(kubeconfig, [
      "-n",
      namespace,
      "get",
      "deployment",
      "ledger-api",
    ]).metadata.resourceVersion;
    assert.equal(after, before, "the second apply of the same release wrote nothing");
  });
});
