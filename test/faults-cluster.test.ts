/**
 * `slipway deploy` against a control plane of this file's own while it is broken on purpose: the
 * API server killed mid-apply and restarted, etcd frozen, the port closed, the certificate
 * replaced, one request in flight. Each test asserts what the person running the deploy sees, and
 * the API server's audit log is the witness of what was sent. Figures (time to detect, time to
 * recover) are printed as `figure:` lines; `npm run bench -- faults` collects them.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { memoryIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import { startServer } from "../src/server/main.ts";
import { writeKubeconfig } from "./cluster/kubeconfig.ts";
import { otherPki, type PrivateCluster, startPrivateCluster } from "./support/private-cluster.ts";

const image = (hex: string) => `registry.example.com/finance/rates-api@sha256:${hex.repeat(64)}`;
const WRITES = new Set(["create", "update", "patch", "delete", "deletecollection"]);
/** Slipway's requests in the audit log (kubectl and the harness send other user agents). */
const SLIPWAY = /^slipway$/;

let cluster: PrivateCluster;
let ws: { app: string; platform: string };

before(async () => {
  cluster = await startPrivateCluster();
  const dir = mkdtempSync(join(tmpdir(), "slipway-faults-"));
  const app = join(dir, "rates-api");
  cpSync(join(import.meta.dirname, "../examples/rates-api"), app, { recursive: true });
  // Slipway deploys as an ordinary user bound to cluster-admin, not as a member of system:masters:
  // the API server exempts that group from its in-flight limits, and a real deployer is not in it.
  await bindClusterAdmin(cluster, "system:kube-scheduler");
  const kubeconfig = join(dir, "deployer.kubeconfig");
  writeKubeconfig(kubeconfig, cluster.pki, "kube-scheduler", cluster.server, "slipway-private");
  const platform = join(dir, "slipway.platform.yaml");
  writeFileSync(
    platform,
    [
      "apiVersion: slipway.dev/v1",
      "kind: Platform",
      "clusters:",
      `  - { name: private, kubeconfig: { context: slipway-private, path: ${JSON.stringify(kubeconfig)} } }`,
      "channels:",
      "  - { name: develop, cluster: private, domain: develop.example.com }",
      "previews: { cluster: private, domain: preview.example.com, ttl: 1h }",
      "teams:",
      "  - name: finance",
      "",
    ].join("\n"),
  );
  ws = { app, platform };
});

after(async () => {
  await cluster?.close();
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  /** When each line was printed (epoch ms), stdout's and stderr's. */
  readonly lines: readonly { readonly at: number; readonly text: string }[];
}

/** `slipway deploy` in-process; `onLine` sees each progress line as it is printed. */
async function deploy(branch: string, args: string[] = [], onLine?: (line: string) => void): Promise<Run> {
  const base = memoryIo();
  const lines: { at: number; text: string }[] = [];
  const io = {
    ...base,
    out(text: string | Uint8Array) {
      base.out(text);
      for (const line of String(text).split("\n").filter(Boolean)) {
        lines.push({ at: Date.now(), text: line });
        onLine?.(line);
      }
    },
    err(text: string) {
      base.err(text);
      for (const line of text.split("\n").filter(Boolean)) lines.push({ at: Date.now(), text: line });
    },
  };
  const started = Date.now();
  const code = await main(
    [
      "deploy",
      "--app",
      ws.app,
      "--target",
      `preview:${branch}`,
      "--platform",
      ws.platform,
      "--image",
      image("a"),
      "--commit",
      "0123456789abcdef0123456789abcdef01234567",
      ...args,
    ],
    io,
  );
  return { code, stdout: base.stdout(), stderr: base.stderr(), ms: Date.now() - started, lines };
}

function figure(t: { diagnostic(message: string): void }, name: string, values: Record<string, number>) {
  const text = Object.entries(values)
    .map(([k, v]) => `${k}=${(v / 1000).toFixed(1)}s`)
    .join(" ");
  t.diagnostic(`figure: ${name}: ${text}`);
}

test("the API server killed mid-apply and back 3 s later: the deploy waits, says so, and finishes; a rerun writes nothing", async (t) => {
  let killedAt = 0;
  let readyAt = 0;
  let restarted: Promise<void> | undefined;
  const run = await deploy("killed", [], (line) => {
    // Killed right after the API server confirmed the first object (the namespace): everything
    // else of the apply is still to be sent.
    if (killedAt === 0 && /\] create /.test(line)) {
      killedAt = Date.now();
      restarted = cluster
        .killApiserver()
        .then(() => sleep(3000))
        .then(() => cluster.startApiserver())
        .then(() => {
          readyAt = Date.now();
        });
    }
  });
  await restarted;
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.ok(killedAt > 0, run.stdout);
  const waiting = run.lines.find((l) => / waiting: API server (refused|dropped)/.test(l.text));
  assert.ok(waiting, `the wait is shown:\n${run.stdout}`);
  assert.ok(waiting.at - killedAt < 10_000, "within 10 s of the first failure");
  assert.match(run.stdout, /\] API server answers again \(after \d+ failed attempts/);
  assert.match(run.stdout, /^\d+ created, 0 updated, 0 deleted, 0 unchanged in /m);
  const done = run.lines.at(-1)?.at ?? Date.now();
  figure(t, "kube-apiserver killed mid-apply", {
    detect: waiting.at - killedAt,
    recover: done - readyAt,
    apiserverDown: readyAt - killedAt,
  });

  const since = Date.now();
  const again = await deploy("killed");
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /nothing to change \(0 created, 0 updated, 0 deleted, \d+ unchanged\)/);
  const writes = cluster.requests(since, SLIPWAY).filter((r) => WRITES.has(r.verb));
  assert.deepEqual(writes, [], "an unchanged rerun sends no write at all");
});

test("etcd frozen: the deploy fails at its deadline naming the phase and what was written; after thawing a deploy succeeds", async (t) => {
  cluster.freezeEtcd();
  const frozenAt = Date.now();
  let run: Run;
  try {
    run = await deploy("frozen", ["--apply-timeout", "20s", "--output", "json"]);
  } finally {
    cluster.thawEtcd();
  }
  const thawedAt = Date.now();
  assert.equal(run.code, 1, run.stdout);
  assert.ok(run.ms < 30_000, `failed within the deadline, not after (${run.ms} ms)`);
  assert.match(
    run.stderr,
    /^error: the apply of rates-api → preview-frozen to https:\/\/127\.0\.0\.1:\d+ did not finish within its deadline \(apply timeout 20s\)\./m,
  );
  assert.match(run.stderr, /^ {2}written, as the API server confirmed: 0 — none$/m);
  assert.match(
    run.stderr,
    /^ {2}not confirmed: \d+ of \d+ rendered objects — Namespace\/rates-api-pr-frozen, /m,
  );
  assert.match(run.stderr, /^ {2}the API server's last answer: /m);
  assert.match(run.stderr, /Deploy again once the API server answers: the rerun writes what is missing/);
  // --output json: each wait as a JSON line on stderr when it happens, and the outcome as data.
  const waiting = run.lines.find((l) => l.text.startsWith('{"waiting":'));
  assert.ok(waiting, `the wait is told:\n${run.stderr}`);
  assert.match(
    waiting.text,
    /"phase":"apply","text":"API server (gave no answer (within [\d.]+ s|to \/readyz)|says it is not ready[^"]*) once; next try/,
  );
  const outcome = JSON.parse(run.stdout) as Record<string, unknown>;
  assert.equal(outcome.failed, true);
  assert.equal(outcome.code, "SLIPWAY_E_DEADLINE");
  assert.equal(outcome.phase, "apply");
  assert.deepEqual(outcome.written, []);
  assert.ok((outcome.notConfirmed as string[]).includes("Namespace/rates-api-pr-frozen"));
  assert.ok((outcome.waits as unknown[]).length >= 1);
  figure(t, "etcd frozen (SIGSTOP), --apply-timeout 20s", { detect: waiting.at - frozenAt, fail: run.ms });

  const after = await deploy("frozen");
  assert.equal(after.code, 0, after.stderr);
  figure(t, "etcd thawed (SIGCONT)", { recover: Date.now() - thawedAt });
});

test("the engine's deployment under a frozen etcd: failed at its deadline with the reason and what it waited for, not applied again after thawing", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-faults-engine-"));
  const repo = join(dir, "repo");
  cpSync(ws.app, join(repo, "rates-api"), { recursive: true });
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: repo,
      encoding: "utf8",
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@t",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@t",
      },
    }).trim();
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "rates-api");
  const commit = git("rev-parse", "HEAD");
  const platformFile = join(dir, "slipway.platform.yaml");
  writeFileSync(platformFile, `${readFileSync(ws.platform, "utf8")}deploy: { applyTimeout: 15s }\n`);
  const server = await startServer({
    dataDir: join(dir, "data"),
    listen: "127.0.0.1:0",
    demo: false,
    platformFile,
    allowLocalRepositories: true,
    env: {},
    log: () => {},
  });
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  try {
    assert.equal((await api("POST", "/api/v1/teams", { name: "finance" })).status, 201);
    assert.equal(
      (await api("POST", "/api/v1/apps", { name: "rates-api", team: "finance", description: "" })).status,
      201,
    );
    const release = await api("POST", "/api/v1/apps/rates-api/releases", {
      repository: repo,
      path: "rates-api",
      commit,
      image: image("e"),
    });
    assert.equal(release.status, 201, JSON.stringify(release.body));

    cluster.freezeEtcd();
    let failed: Record<string, unknown> = {};
    try {
      const queued = await api("POST", "/api/v1/apps/rates-api/deployments", {
        release: (release.body.release as { id: string }).id,
        target: "develop",
      });
      assert.equal(queued.status, 201, JSON.stringify(queued.body));
      const id = String(queued.body.id);
      for (let i = 0; i < 600 && failed.status !== "failed"; i++) {
        failed = (await api("GET", `/api/v1/deployments/${id}`)).body;
        if (failed.status !== "failed") await sleep(100);
      }
    } finally {
      cluster.thawEtcd();
    }
    const thawedAt = Date.now();
    assert.equal(failed.status, "failed", JSON.stringify(failed));
    // The deployment's events, as the event stream and `deployments watch` show them.
    const events = failed.events as { status: string; message: string; at: string }[];
    const reason = events.at(-1)?.message ?? "";
    assert.match(reason, /did not finish within its deadline \(apply timeout 15s\)/);
    assert.match(reason, /written, as the API server confirmed: 0 — none/);
    assert.ok(
      events.some(
        // Which request went unanswered first depends on timing: an apply's, or the readiness
        // probe sent after a dropped connection. Either way the event says what it waits for.
        (e) =>
          e.status === "applying" &&
          /; waiting: API server (gave no answer (within|to \/readyz)|says it is not ready)/.test(e.message),
      ),
      `the events said what the deployment waited for:\n${events.map((e) => `${e.status}: ${e.message}`).join("\n")}`,
    );
    const at = (e: { at: string } | undefined) => Date.parse(e?.at ?? "");
    const applying = events.find((e) => e.status === "applying");
    const told = events.find((e) => /; waiting: /.test(e.message));
    figure(t, "engine deployment, etcd frozen, deploy.applyTimeout 15s", {
      detect: at(told) - at(applying),
      fail: at(events.at(-1)) - at(applying),
    });

    await sleep(5000);
    const writes = cluster.requests(thawedAt, SLIPWAY).filter((r) => WRITES.has(r.verb));
    assert.deepEqual(writes, [], "a failed deployment is not applied again when the fault clears");
  } finally {
    await server.close();
  }
});

test("the API server's port closed: a fast error saying the connection was refused", async (t) => {
  await cluster.killApiserver();
  const run = await deploy("closed");
  assert.equal(run.code, 1);
  assert.match(
    run.stderr,
    /^error: cannot connect to the API server at https:\/\/127\.0\.0\.1:\d+: it refused the connection \(3 tries\); nothing listens on that address and port/m,
  );
  assert.ok(run.ms < 5000, `fast (${run.ms} ms)`);
  figure(t, "API server port closed", { detect: run.ms });
});

test("the API server's certificate replaced: a fast TLS error saying it is not trusted", async (t) => {
  await cluster.startApiserver({ servingPki: otherPki(cluster.dir) });
  const since = Date.now();
  const run = await deploy("tls");
  assert.equal(run.code, 1);
  assert.match(
    run.stderr,
    /^error: TLS failure: the API server at https:\/\/127\.0\.0\.1:\d+ was not trusted, its certificate is not signed by the certificate authority in the kubeconfig/m,
  );
  assert.ok(run.ms < 5000, `fast (${run.ms} ms)`);
  assert.equal(cluster.requests(since, SLIPWAY).length, 0, "nothing reached the API server");
  figure(t, "API server certificate replaced", { detect: run.ms });
});

test("one request in flight (429 with Retry-After): four deploys at once all succeed, without a storm of retries", async (t) => {
  await cluster.startApiserver({
    args: [
      "--enable-priority-and-fairness=false",
      "--max-requests-inflight=1",
      "--max-mutating-requests-inflight=1",
    ],
  });
  // One deploy alone first: how many requests a deploy needs when nothing pushes back.
  const alone = Date.now();
  assert.equal((await deploy("alone")).code, 0);
  const needed = cluster.requests(alone, SLIPWAY).filter((r) => r.code !== 429).length;

  const since = Date.now();
  const runs = await Promise.all(["p1", "p2", "p3", "p4"].map((b) => deploy(b)));
  for (const run of runs) assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const sent = cluster.requests(since, SLIPWAY);
  const throttled = sent.filter((r) => r.code === 429).length;
  t.diagnostic(
    `figure: 4 deploys at once, 1 request in flight (requests): sent=${sent.length} answered429=${throttled} oneDeployAlone=${needed}`,
  );

  assert.ok(throttled > 0, "the API server did push back");
  // Each 429 is retried after the Retry-After the server gives, with fewer requests in flight:
  // the retries stay within a small multiple of the work, not a storm.
  assert.ok(sent.length <= 4 * needed * 3, `${sent.length} requests for 4 × ${needed}`);
  figure(t, "4 parallel deploys, 1 request in flight", { slowest: Math.max(...runs.map((r) => r.ms)) });
});

async function bindClusterAdmin(c: PrivateCluster, user: string): Promise<void> {
  const { apiCall } = await import("./cluster/api.ts");
  const res = await apiCall(c.pki, c.port, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: "faults-deployer" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
  });
  if (res.status !== 201) throw new Error(`binding cluster-admin failed: ${res.status} ${res.body}`);
}
