/**
 * The gates' live view on the platform in use: a cluster that did not answer a read in time is
 * not asked again by every app's gate straight after, so the promoter's pass (one app after the
 * other) and the status of many apps do not each wait out the read deadline again.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parsePlatform } from "../spec/parse.ts";
import { ClusterConnections } from "./deploy-targets.ts";
import { platformLiveHealth } from "./live-health.ts";

/** An API server address that takes connections and never answers (a frozen control plane). */
const silent = createServer((socket) => {
  sockets.push(socket);
});
const sockets: Socket[] = [];
let dir: string;
let platformFile: string;

before(async () => {
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const { port } = silent.address() as { port: number };
  dir = mkdtempSync(join(tmpdir(), "slipway-live-health-"));
  const kubeconfig = join(dir, "kubeconfig.yaml");
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        { name: "c", cluster: { server: `https://127.0.0.1:${port}`, "insecure-skip-tls-verify": true } },
      ],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "east", context: { cluster: "c", user: "u" } }],
      "current-context": "east",
    }),
  );
  platformFile = join(dir, "slipway.platform.yaml");
  writeFileSync(
    platformFile,
    [
      "apiVersion: slipway.dev/v1",
      "kind: Platform",
      "clusters:",
      `  - { name: east, kubeconfig: { context: east, path: ${JSON.stringify(kubeconfig)} } }`,
      "channels:",
      "  - { name: staging, cluster: east }",
      "  - { name: stable, cluster: east }",
      "",
    ].join("\n"),
  );
});

after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

test("a cluster that did not answer in time is not asked again by the next app's gate at once", async () => {
  const platform = parsePlatform(readFileSync(platformFile, "utf8"), platformFile);
  const health = platformLiveHealth({
    platform: () => platform,
    context: { cwd: dir, env: {}, connections: new ClusterConnections() },
    readTimeoutMs: 300,
  });

  const first = await health.channelHealth({ app: "checkout", team: "payments", channel: "staging" });
  assert.equal(first.source, "unreadable");
  assert.match(first.source === "unreadable" ? first.error : "", /health deadline \(300ms\)/);
  const tried = sockets.length;
  assert.ok(tried > 0, "the first read reached the silent server");

  const started = Date.now();
  const next = await health.channelHealth({ app: "billing", team: "ledger", channel: "staging" });
  const tookMs = Date.now() - started;
  assert.equal(next.source, "unreadable");
  assert.equal(next.where, "cluster east, namespace billing-staging");
  // The reason is the cluster's, said again, with when it is asked next; no other app is named.
  assert.match(
    next.source === "unreadable" ? next.error : "",
    /health deadline \(300ms\).*; not asked again for \d+ s \(cluster east did not answer a read \d+ s ago\)$/,
  );
  assert.doesNotMatch(next.source === "unreadable" ? next.error : "", /checkout/);
  assert.equal(sockets.length, tried, "the second read did not go to the cluster");
  assert.ok(tookMs < 100, `answered at once, not after another deadline (${tookMs} ms)`);
});

test("a cluster the client cannot speak to (an http:// kubectl proxy) is unreadable, not an error of the whole request", async () => {
  // kubectl proxy serves the API over plain http://; the client speaks https only.
  const proxy = join(dir, "proxy-kubeconfig.yaml");
  writeFileSync(
    proxy,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: "http://127.0.0.1:8001" } }],
      users: [{ name: "u", user: {} }],
      contexts: [{ name: "proxy", context: { cluster: "c", user: "u" } }],
      "current-context": "proxy",
    }),
  );
  const file = join(dir, "proxy.platform.yaml");
  writeFileSync(
    file,
    [
      "apiVersion: slipway.dev/v1",
      "kind: Platform",
      "clusters:",
      `  - { name: local, kubeconfig: { context: proxy, path: ${JSON.stringify(proxy)} } }`,
      "channels:",
      "  - { name: staging, cluster: local }",
      "  - { name: stable, cluster: local }",
      "",
    ].join("\n"),
  );
  const platform = parsePlatform(readFileSync(file, "utf8"), file);
  const health = platformLiveHealth({
    platform: () => platform,
    context: { cwd: dir, env: {}, connections: new ClusterConnections() },
  });
  const read = await health.channelHealth({ app: "checkout", team: "payments", channel: "staging" });
  assert.equal(read.source, "unreadable");
  assert.equal(read.where, "cluster local, namespace checkout-staging");
  assert.match(
    read.source === "unreadable" ? read.error : "",
    /^the cluster could not be read: HTTP protocol is not allowed/,
  );
});
