/**
 * The promotion gates against the test control plane, through `startServer`: the health gate reads
 * the channel before live (a Deployment short of available replicas holds the promotion though the
 * record says available), the soak gate counts the restarts of the release's current pods against
 * `maxRestarts`, and the policy gate checks the platform's custom rules as a deploy would.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parse } from "yaml";
import type { AppStatus } from "../src/api/promotion.ts";
import { type RunningServer, startServer } from "../src/server/main.ts";
import { systemActor } from "../src/store/store.ts";
import { createNamespace, deleteNamespace, kubectl, kubectlJson } from "./support/cluster-fixtures.ts";
import { appSpec, commitFiles, imageAt, newRepository, removeRepository } from "./support/release-repos.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

/** A custom rule of the platform: an experimental workload is not promoted where policy is enforced. */
const customRule = `apiVersion: slipway.dev/v1
kind: PolicyRule
id: acme-no-experimental
title: Experimental workloads stay out of stable
rationale: An experimental tier has not been through the load test that stable traffic needs.
severity: error
hint: Remove the tier label experimental before promoting to stable.
match:
  kinds: [Deployment]
assert:
  - path: metadata.labels.tier
    notPattern: ^experimental$
    message: tier {value} is not promoted
examples:
  pass:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: { name: web, namespace: shop }
  fail:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: { name: web, namespace: shop, labels: { tier: experimental } }
  expect:
    object: Deployment/shop/web
    path: metadata.labels.tier
    message: tier experimental is not promoted
`;

/** Clean under the built-in rules in enforce mode, so only what a test changes holds a promotion. */
const cleanApp = [
  "resources: { requests: { cpu: 100m, memory: 64Mi }, limits: { memory: 128Mi } }",
  "health: { readiness: { http: { path: /healthz, port: http } } }",
].join("\n");

interface Gate {
  gate: string;
  state: string;
  reason: string;
}
/** A promotion's answer: the gates, or the refusal carrying them. */
interface PromotionAnswer {
  gates: { state: string; gates: Gate[] };
  error: { message: string; details: { gates: Gate[] } };
}

describe("promotion gates on a cluster channel", () => {
  const suffix = randomBytes(3).toString("hex");
  const staging = `gates-staging-${suffix}`;
  const stable = `gates-stable-${suffix}`;
  let dir: string;
  let repo: string;
  let server: RunningServer;
  let kubeconfig: string;

  before(async () => {
    kubeconfig = testKubeconfig();
    const context = String(
      (parse(readFileSync(kubeconfig, "utf8")) as { "current-context": string })["current-context"],
    );
    createNamespace(kubeconfig, staging);
    createNamespace(kubeconfig, stable);
    dir = mkdtempSync(join(tmpdir(), "slipway-gates-"));
    mkdirSync(join(dir, "rules"));
    writeFileSync(join(dir, "rules", "no-experimental.yaml"), customRule);
    const platformFile = join(dir, "slipway.platform.yaml");
    writeFileSync(
      platformFile,
      [
        "apiVersion: slipway.dev/v1",
        "kind: Platform",
        "policy: { customRules: rules }",
        "clusters:",
        `  - { name: test, kubeconfig: { context: ${JSON.stringify(context)}, path: ${JSON.stringify(kubeconfig)} } }`,
        "channels:",
        `  - { name: staging, cluster: test, namespace: ${staging}, policy: { mode: warn } }`,
        `  - { name: stable, cluster: test, namespace: ${stable}, policy: { mode: enforce }, gates: { soak: { maxRestarts: 2 } } }`,
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
    // An app and channel are one scope on a cluster (objects are owned by their app and target
    // labels): tests sharing the test cluster each use an app name of their own, so none takes
    // another's objects for its own.
    await server.store.createApp(systemActor, { name: "till", teamName: "payments", description: "" });
    repo = newRepository();
  });
  after(async () => {
    await server?.close();
    for (const namespace of [staging, stable]) {
      try {
        deleteNamespace(kubeconfig, namespace);
      } catch {
        // Best effort: the namespaces are unique to this run.
      }
    }
    removeRepository(repo);
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: PromotionAnswer }> {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: JSON.parse(await response.text()) as PromotionAnswer };
  }
  async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await call(method, path, body);
    assert.ok(answer.status < 300, `${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body as unknown as T;
  }
  async function release(n: number, extra: string): Promise<string> {
    const commit = commitFiles(
      repo,
      { "slipway.yaml": appSpec({ name: "till", secrets: [], extra }) },
      `v${n}`,
    );
    const made = await api<{ release: { id: string } }>("POST", "/api/v1/apps/till/releases", {
      repository: repo,
      commit,
      image: imageAt(n),
    });
    return made.release.id;
  }
  /** Waits until `channel` runs `releaseId`, available as recorded. */
  async function runs(channel: number, releaseId: string): Promise<AppStatus> {
    const end = Date.now() + 150_000;
    for (;;) {
      const s = await api<AppStatus>("GET", "/api/v1/apps/till/status");
      const c = s.channels[channel]!;
      if (c.live?.releaseId === releaseId && c.latest === null) return s;
      const newest = c.latest ?? c.live;
      assert.ok(newest === null || !["failed", "rolled-back"].includes(newest.status), JSON.stringify(c));
      assert.ok(Date.now() < end, JSON.stringify(c));
      await sleep(200);
    }
  }
  const gateOf = (gates: readonly Gate[], name: string) => {
    const found = gates.find((g) => g.gate === name);
    assert.ok(found, `no ${name} gate in ${JSON.stringify(gates)}`);
    return found;
  };
  const promote = (body: Record<string, unknown> = {}) =>
    call("POST", "/api/v1/apps/till/promotions", { to: "stable", ...body });
  const replicas = (field: "spec.replicas" | "status.availableReplicas") =>
    Number(
      kubectl(kubeconfig, ["-n", staging, "get", "deployment", "till", "-o", `jsonpath={.${field}}`]) || "0",
    );

  test("health reads the channel before live; soak counts restarts; custom rules hold promotion", async () => {
    const first = await release(1, cleanApp);
    await runs(0, first);
    const wanted = replicas("spec.replicas");

    // Live: the Deployment cannot reach its replicas (a pod quota keeps the new ones from being
    // created), while the record still says the release is available in staging.
    kubectl(kubeconfig, ["-n", staging, "create", "quota", "pods", `--hard=pods=${wanted}`]);
    kubectl(kubeconfig, ["-n", staging, "scale", "deployment", "till", `--replicas=${wanted + 2}`]);
    const held = await promote();
    assert.equal(held.status, 409, JSON.stringify(held.body));
    const health = gateOf(held.body.error.details.gates, "health");
    assert.equal(health.state, "fail");
    assert.match(
      health.reason,
      new RegExp(
        `Deployment till has ${wanted} of ${wanted + 2} replicas available .* in staging \\(cluster test, namespace ${staging}\\) now, though the record says release ${first} is available`,
      ),
    );
    const recorded = await api<AppStatus>("GET", "/api/v1/apps/till/status");
    assert.equal(recorded.channels[0]!.live?.status, "available");
    assert.equal(gateOf(recorded.channels[1]!.next!.gates!.gates as Gate[], "health").state, "fail");

    // Back to full strength: the same promotion passes, and says what it saw live.
    kubectl(kubeconfig, ["-n", staging, "delete", "quota", "pods"]);
    kubectl(kubeconfig, ["-n", staging, "scale", "deployment", "till", `--replicas=${wanted}`]);
    for (const end = Date.now() + 60_000; replicas("status.availableReplicas") !== wanted; ) {
      assert.ok(Date.now() < end, "staging's Deployment became available again");
      await sleep(200);
    }
    const passed = await promote();
    assert.equal(passed.status, 201, JSON.stringify(passed.body));
    assert.match(
      gateOf(passed.body.gates.gates, "health").reason,
      new RegExp(
        `live \\(cluster test, namespace ${staging}\\): Deployment till ${wanted}/${wanted} available`,
      ),
    );
    assert.match(gateOf(passed.body.gates.gates, "soak").reason, /0 restarts of at most 2/);
    assert.equal(gateOf(passed.body.gates.gates, "policy").state, "pass");
    await runs(1, first);

    // The next release carries what the platform's custom rule refuses where policy is enforced;
    // staging only warns, so it deploys there.
    const second = await release(2, `${cleanApp}\nlabels: { tier: experimental }`);
    await runs(0, second);
    const dry = await api<PromotionAnswer>("POST", "/api/v1/apps/till/promotions", {
      to: "stable",
      dryRun: true,
    });
    const policy = gateOf(dry.gates.gates, "policy");
    assert.equal(policy.state, "fail");
    assert.match(
      policy.reason,
      /Deployment\/\S+\/till: tier experimental is not promoted \[acme-no-experimental\]/,
    );
    assert.equal(gateOf(dry.gates.gates, "soak").state, "pass");

    // A pod of the release's current revision restarted more often than stable allows.
    const pods = kubectlJson<{
      items: { metadata: { name: string; deletionTimestamp?: string } }[];
    }>(kubeconfig, [
      "-n",
      staging,
      "get",
      "pods",
      "-l",
      `slipway.dev/app=till,slipway.dev/release=${second}`,
    ]);
    const pod = pods.items.find((p) => p.metadata.deletionTimestamp === undefined)?.metadata.name;
    assert.ok(pod, JSON.stringify(pods));
    kubectl(kubeconfig, [
      "-n",
      staging,
      "patch",
      "pod",
      pod,
      "--subresource=status",
      "--type=json",
      "-p",
      '[{"op":"replace","path":"/status/containerStatuses/0/restartCount","value":4}]',
    ]);
    const restarted = await promote();
    assert.equal(restarted.status, 409, JSON.stringify(restarted.body));
    const gates = restarted.body.error.details.gates;
    const soak = gateOf(gates, "soak");
    assert.equal(soak.state, "fail");
    assert.match(
      soak.reason,
      new RegExp(
        `pods of release ${second} in staging restarted 4 times, more than the 2 allowed .*: ${pod} 4`,
      ),
    );
    assert.equal(gateOf(gates, "policy").state, "fail");
    assert.equal(gateOf(gates, "health").state, "pass");
    // Nothing was queued for stable: it still runs the first release.
    const after = await api<AppStatus>("GET", "/api/v1/apps/till/status");
    assert.equal(after.channels[1]!.live?.releaseId, first);
    assert.equal(after.channels[1]!.latest, null);
  });
});
