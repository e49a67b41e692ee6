/**
 * Channels on several clusters, from the CLI: one platform file with a channel on each of two
 * real API servers (told apart by kubeconfig context, both files in one $KUBECONFIG) and one on a
 * GitOps directory. `slipway deploy` to each channel lands there and nowhere else, and the same
 * digest goes through the three channels in promotion order.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { memoryIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
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

const repository = "registry.example.com/fleet/web";
const image = `${repository}@sha256:${"c".repeat(64)}`;
const channels = ["develop", "staging", "stable"] as const;

let clusters: TestClusters;
let dir: string;
let app: string;

before(() => {
  clusters = testClusters();
  dir = mkdtempSync(join(tmpdir(), "slipway-multicluster-cli-"));
  app = `fleet-${randomBytes(3).toString("hex")}`;
  mkdirSync(join(dir, "app"));
  writeFileSync(join(dir, "app", "slipway.yaml"), appSpec(app, "fleet", repository));
  writeFileSync(
    join(dir, "slipway.platform.yaml"),
    [
      "apiVersion: slipway.dev/v1",
      "kind: Platform",
      "clusters:",
      // No kubeconfig path: the contexts are looked up in the operator's $KUBECONFIG.
      `  - { name: west, kubeconfig: { context: ${clusters.second.context} } }`,
      `  - { name: east, kubeconfig: { context: ${clusters.first.context} } }`,
      "  - { name: fleet-repo, gitops: { directory: gitops } }",
      "channels:",
      "  - { name: develop, cluster: west, domain: develop.example.com }",
      "  - { name: staging, cluster: east, domain: staging.example.com }",
      "  - { name: stable, cluster: fleet-repo, domain: example.com }",
      "teams:",
      "  - name: fleet",
      "",
    ].join("\n"),
  );
  channelNamespaces(clusters.first, app, channels);
  channelNamespaces(clusters.second, app, channels);
});

after(() => {
  for (const cluster of [clusters?.first, clusters?.second]) {
    if (cluster !== undefined) deleteChannelNamespaces(cluster, app, channels);
  }
});

async function deploy(channel: string) {
  const io = memoryIo({ env: { KUBECONFIG: clusters.kubeconfig } });
  const argv = ["deploy", "--app", join(dir, "app"), "--platform", join(dir, "slipway.platform.yaml")];
  const code = await main([...argv, "--target", channel, "--image", image, "--wait"], io);
  assert.equal(code, 0, `deploy to ${channel}:\n${io.stdout()}\n${io.stderr()}`);
  return io.stdout();
}

/** Files under the GitOps directory that mention the app (none before stable). */
function inRepository(): string[] {
  const root = join(dir, "gitops");
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true }) as string[])
    .filter((f) => !f.startsWith(".git") && f.endsWith(".yaml"))
    .filter((f) => readFileSync(join(root, f), "utf8").includes(app))
    .sort();
}

test("deploy lands each channel on its own cluster or repository, and the same digest moves develop → staging → stable", async () => {
  const develop = await deploy("develop");
  const second = new URL(readFileSync(clusters.second.kubeconfig, "utf8").match(/server: (\S+)/)![1]!);
  assert.match(
    develop,
    new RegExp(
      `^deploying ${app} → develop \\(Kubernetes cluster https://127\\.0\\.0\\.1:${second.port}\\)`,
      "m",
    ),
  );
  assert.deepEqual(deploymentsOf(clusters.second, app), [`${app}-develop/${app} ${image}`]);
  const developObjects = objectsOf(clusters.second, app);
  assert.ok(developObjects.length >= 3, developObjects.join("\n"));
  assert.ok(
    developObjects.every((o) => o.includes(` ${app}-develop/`)),
    developObjects.join("\n"),
  );
  assert.deepEqual(objectsOf(clusters.first, app), [], "nothing of develop on the first cluster");
  assert.deepEqual(inRepository(), []);

  await deploy("staging");
  assert.deepEqual(deploymentsOf(clusters.first, app), [`${app}-staging/${app} ${image}`]);
  assert.deepEqual(
    deploymentsOf(clusters.second, app),
    [`${app}-develop/${app} ${image}`],
    "the second cluster still holds develop only",
  );
  assert.deepEqual(objectsOf(clusters.second, app), developObjects);
  const stagingObjects = objectsOf(clusters.first, app);
  assert.deepEqual(
    stagingObjects,
    developObjects.map((o) => o.replace(`${app}-develop/`, `${app}-staging/`)),
  );
  assert.deepEqual(inRepository(), []);

  const stable = await deploy("stable");
  assert.match(stable, new RegExp(`^deploying ${app} → stable \\(GitOps repository `, "m"));
  const files = inRepository();
  assert.ok(files.length > 0, "stable's manifests are committed to the GitOps directory");
  const deployment = files.find((f) =>
    readFileSync(join(dir, "gitops", f), "utf8").includes("kind: Deployment"),
  );
  assert.ok(deployment, files.join("\n"));
  assert.match(
    readFileSync(join(dir, "gitops", deployment), "utf8"),
    new RegExp(`image: ${image.replace(/[.]/g, "\\.")}`),
  );
  assert.ok(
    files.every((f) => f.includes("stable")),
    `only stable is in the repository: ${files.join(", ")}`,
  );
  // Neither cluster gained anything from the GitOps channel.
  assert.deepEqual(objectsOf(clusters.first, app), stagingObjects);
  assert.deepEqual(objectsOf(clusters.second, app), developObjects);
});
