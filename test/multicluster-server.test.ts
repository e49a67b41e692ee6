/**
 * Channels on several clusters, through the server: `serve --platform` with a channel on each of
 * two real API servers, one on a GitOps directory and one on a cluster that cannot be reached.
 * The contexts come from the operator's $KUBECONFIG (the platform file names no path). A release
 * made from git deploys itself to develop and is promoted through staging to stable —
 * the same digest, each channel on its own cluster or repository and nowhere else — while the
 * unreachable cluster fails only its own channel, naming the cluster and its context.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type RunningServer, startServer } from "../src/server/main.ts";
import { systemActor } from "../src/store/store.ts";
import { commitFiles, newRepository, removeRepository } from "./support/release-repos.ts";
import {
  appSpec,
  channelNamespaces,
  deleteChannelNamespaces,
  deploymentsOf,
  objectsOf,
  type TestClusters,
  testClusters,
} from "./support/second-cluster.ts";
import "./support/test-cluster.ts";

const repository = "registry.example.com/fleet/api";
const image = `${repository}@sha256:${"d".repeat(64)}`;
const channels = ["develop", "staging", "stable"] as const;
const GONE_CONTEXT = "slipway-test-gone";

let clusters: TestClusters;
let dir: string;
let repo: string;
let app: string;
let server: RunningServer;
let token: string;
const logs: string[] = [];

/** A port nothing listens on: the unreachable cluster's API server. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

before(async () => {
  clusters = testClusters();
  dir = mkdtempSync(join(tmpdir(), "slipway-multicluster-server-"));
  app = `fleet-${randomBytes(3).toString("hex")}`;
  // The operator's kubeconfig holds a third context, for a cluster whose API server is gone.
  const gone = join(dir, "gone.kubeconfig");
  writeFileSync(
    gone,
    readFileSync(clusters.second.kubeconfig, "utf8")
      .replaceAll("slipway-test-second", GONE_CONTEXT)
      .replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${await closedPort()}`),
  );
  const platformFile = join(dir, "slipway.platform.yaml");
  writeFileSync(
    platformFile,
    [
      "apiVersion: slipway.dev/v1",
      "kind: Platform",
      "clusters:",
      `  - { name: west, kubeconfig: { context: ${clusters.second.context} } }`,
      `  - { name: east, kubeconfig: { context: ${clusters.first.context} } }`,
      "  - { name: fleet-repo, gitops: { directory: gitops } }",
      `  - { name: gone, kubeconfig: { context: ${GONE_CONTEXT} } }`,
      "  - { name: lost, kubeconfig: { context: nowhere } }",
      "channels:",
      "  - { name: develop, cluster: west, domain: develop.example.com }",
      "  - { name: staging, cluster: east, domain: staging.example.com }",
      "  - { name: stable, cluster: fleet-repo, domain: example.com }",
      "  - { name: edge, cluster: gone, domain: edge.example.com }",
      "  - { name: lab, cluster: lost, domain: lab.example.com }",
      "teams:",
      "  - name: fleet",
      "",
    ].join("\n"),
  );
  channelNamespaces(clusters.first, app, channels);
  channelNamespaces(clusters.second, app, channels);
  repo = newRepository();
  mkdirSync(join(dir, "data"));
  server = await startServer({
    dataDir: join(dir, "data"),
    listen: "127.0.0.1:0",
    demo: false,
    platformFile,
    allowLocalRepositories: true,
    env: { KUBECONFIG: [clusters.kubeconfig, gone].join(delimiter) },
    engine: { timeoutMs: 60_000 },
    log: (line) => logs.push(line),
  });
  token = server.adminToken ?? "";
  await server.store.createTeam(systemActor, "fleet");
  await server.store.createApp(systemActor, { name: app, teamName: "fleet", description: "" });
});

after(async () => {
  await server?.close();
  for (const cluster of [clusters?.first, clusters?.second]) {
    if (cluster !== undefined) deleteChannelNamespaces(cluster, app, channels);
  }
  if (repo !== undefined) removeRepository(repo);
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as T };
}

interface Detail {
  readonly id: string;
  readonly targetName: string;
  readonly status: string;
  readonly events: readonly { status: string; message: string }[];
}

const FINAL = new Set(["available", "failed", "superseded", "rolled-back"]);

async function settled(id: string, timeoutMs = 45_000): Promise<Detail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await call<Detail>("GET", `/api/v1/deployments/${id}`);
    assert.equal(status, 200, JSON.stringify(body));
    if (FINAL.has(body.status)) return body;
    if (Date.now() > deadline)
      assert.fail(`deployment ${id} still ${body.status}: ${JSON.stringify(body.events)}`);
    await sleep(200);
  }
}

async function deploy(release: string, target: string): Promise<string> {
  const res = await call<{ id: string }>("POST", `/api/v1/apps/${app}/deployments`, { release, target });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}

async function promote(to: string): Promise<string> {
  const res = await call<{ deployment: { id: string }; digest: string }>(
    "POST",
    `/api/v1/apps/${app}/promotions`,
    {
      to,
    },
  );
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.digest, image.slice(image.indexOf("@") + 1));
  return res.body.deployment.id;
}

function inRepository(): string[] {
  const root = join(dir, "gitops");
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true }) as string[])
    .filter((f) => !f.startsWith(".git") && f.endsWith(".yaml"))
    .filter((f) => readFileSync(join(root, f), "utf8").includes(app))
    .sort();
}

test("the engine deploys a release to a channel on each cluster and the GitOps directory; an unreachable cluster fails only its channel, naming cluster and context", async () => {
  const commit = commitFiles(repo, { "slipway.yaml": appSpec(app, "fleet", repository) }, "first");
  const made = await call<{ release: { id: string } }>("POST", `/api/v1/apps/${app}/releases`, {
    repository: repo,
    commit,
    image,
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const release = made.body.release.id;

  // The new release deploys itself to develop (the second cluster); edge (a cluster that is down)
  // and lab (a context the operator's kubeconfig lacks) are asked for at once: their failures
  // stop nothing else.
  const queued = await call<{ items: { id: string }[] }>(
    "GET",
    `/api/v1/apps/${app}/deployments?target=develop`,
  );
  assert.equal(queued.body.items.length, 1, JSON.stringify(queued.body));
  const develop = queued.body.items[0]?.id;
  const [edge, lab] = await Promise.all(["edge", "lab"].map((c) => deploy(release, c)));
  const [developDone, edgeDone, labDone] = await Promise.all([develop, edge, lab].map((id) => settled(id!)));
  assert.ok(developDone && edgeDone && labDone);
  assert.equal(developDone.status, "available", JSON.stringify(developDone.events));
  assert.equal(edgeDone.status, "failed", JSON.stringify(edgeDone.events));
  const reason = edgeDone.events.at(-1)?.message ?? "";
  assert.match(reason, /cluster `gone`/);
  assert.match(reason, new RegExp(`context \`${GONE_CONTEXT}\``));
  assert.match(reason, /cannot connect to the API server at https:\/\/127\.0\.0\.1:\d+/);
  assert.doesNotMatch(reason, /\n\s+at /, "no stack trace");
  assert.equal(labDone.status, "failed", JSON.stringify(labDone.events));
  assert.match(
    labDone.events.at(-1)?.message ?? "",
    /^cluster `lost` \(kubeconfig context `nowhere`\): the kubeconfig .* has no context `nowhere` \(it has slipway-test, slipway-test-second, slipway-test-gone\)/,
  );

  const developObjects = objectsOf(clusters.second, app);
  assert.ok(developObjects.length >= 3, developObjects.join("\n"));
  assert.ok(
    developObjects.every((o) => o.includes(` ${app}-develop/`)),
    developObjects.join("\n"),
  );
  assert.deepEqual(deploymentsOf(clusters.second, app), [`${app}-develop/${app} ${image}`]);
  assert.deepEqual(objectsOf(clusters.first, app), [], "nothing of develop on the first cluster");
  assert.deepEqual(inRepository(), []);

  const staging = await settled(await promote("staging"));
  assert.equal(staging.status, "available", JSON.stringify(staging.events));
  const stagingObjects = objectsOf(clusters.first, app);
  assert.deepEqual(
    stagingObjects,
    developObjects.map((o) => o.replace(`${app}-develop/`, `${app}-staging/`)),
  );
  assert.deepEqual(deploymentsOf(clusters.first, app), [`${app}-staging/${app} ${image}`]);
  assert.deepEqual(
    objectsOf(clusters.second, app),
    developObjects,
    "the second cluster still holds develop only",
  );
  assert.deepEqual(inRepository(), []);

  const stable = await settled(await promote("stable"));
  assert.equal(stable.status, "available", JSON.stringify(stable.events));
  const files = inRepository();
  const manifest = files.find((f) =>
    readFileSync(join(dir, "gitops", f), "utf8").includes("kind: Deployment"),
  );
  assert.ok(manifest, files.join("\n"));
  assert.ok(readFileSync(join(dir, "gitops", manifest), "utf8").includes(`image: ${image}`));
  assert.ok(
    files.every((f) => f.includes("stable")),
    `only stable is in the repository: ${files.join(", ")}`,
  );
  assert.deepEqual(objectsOf(clusters.first, app), stagingObjects);
  assert.deepEqual(objectsOf(clusters.second, app), developObjects);
});
