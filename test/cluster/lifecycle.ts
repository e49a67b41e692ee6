/**
 * up / down / status of the test control plane: etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler and kwok as local processes on 127.0.0.1, with simulated nodes.
 *
 * `up` is idempotent (a healthy cluster is left alone) and serialised with a lock file, so that
 * several test runs started at once share one cluster instead of racing to start two.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { kwokStageDir, type PeerName, peerPath } from "../../src/testing/peers.ts";
import { apiCall } from "./api.ts";
import { ensureCertificates, IDENTITIES } from "./certs.ts";
import { apiserverArgs, controllerManagerArgs, kwokArgs, schedulerArgs } from "./components.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import { COMPONENTS, type Component, type Layout, SECOND_COMPONENTS, secondLayout } from "./layout.ts";
import { isRunning, type PidRecord, readPid, startProcess, stopProcess, tailLog } from "./processes.ts";

/**
 * How kwok simulates pods. `fast`: Ready at once (benchmarks measure Slipway, not the simulation).
 * `general`: 1–6 s per container step, closer to a real kubelet. The chaos stages are loaded in
 * both modes but only act on pods labelled `pod-container-running-failed.stage.kwok.x-k8s.io:
 * "true"` (those fail once Running), which is how tests make a rollout that cannot progress.
 */
export const POD_MODES = ["fast", "general"] as const;
export type PodMode = (typeof POD_MODES)[number];

export interface UpOptions {
  readonly nodes: number;
  readonly pods: PodMode;
  readonly log?: (line: string) => void;
}

export interface ClusterState {
  readonly kubeconfig: string;
  readonly server: string;
  readonly pods: PodMode;
  readonly nodes: number;
  readonly startedAt: string;
  readonly startupMs: number;
}

export interface Status {
  readonly running: Component[];
  readonly stopped: Component[];
  readonly ready: boolean;
  readonly readyNodes: number;
  readonly state?: ClusterState;
}

export const CHAOS_LABEL = "pod-container-running-failed.stage.kwok.x-k8s.io";

export async function status(l: Layout): Promise<Status> {
  const running: Component[] = [];
  const stopped: Component[] = [];
  for (const c of COMPONENTS) {
    const rec = readPid(l.pids, c);
    (rec && isRunning(rec) ? running : stopped).push(c);
  }
  const state = existsSync(l.state) ? (JSON.parse(readFileSync(l.state, "utf8")) as ClusterState) : undefined;
  let readyNodes = 0;
  let apiReady = false;
  if (running.includes("kube-apiserver") && existsSync(join(l.certs, "admin.crt"))) {
    const readyz = await apiCall(l.certs, l.ports.apiserver, "GET", "/readyz").catch(() => undefined);
    apiReady = readyz?.status === 200;
    if (apiReady) readyNodes = await countReadyNodes(l);
  }
  const ready = stopped.length === 0 && apiReady && state !== undefined && readyNodes >= state.nodes;
  return state ? { running, stopped, ready, readyNodes, state } : { running, stopped, ready, readyNodes };
}

export async function countReadyNodes(l: Layout): Promise<number> {
  const res = await apiCall(l.certs, l.ports.apiserver, "GET", "/api/v1/nodes");
  if (res.status !== 200) return 0;
  const list = JSON.parse(res.body) as {
    items: { status?: { conditions?: { type: string; status: string }[] } }[];
  };
  return list.items.filter((n) =>
    n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
  ).length;
}

/** Stops the cluster, and first the second cluster when one runs on its etcd (second.ts). */
export async function down(l: Layout, log: (line: string) => void = () => {}): Promise<void> {
  const second = secondLayout(l);
  await stopComponents(second, SECOND_COMPONENTS, (line) => log(`second cluster: ${line}`));
  await stopComponents(l, COMPONENTS, log);
}

/** Reverse start order: clients before the apiserver, the apiserver before etcd. */
export async function stopComponents(
  l: Layout,
  components: readonly Component[],
  log: (line: string) => void,
): Promise<void> {
  for (const c of [...components].reverse()) {
    const rec = readPid(l.pids, c);
    if (!rec) continue;
    const was = isRunning(rec);
    await stopProcess(l.pids, rec);
    if (was) log(`stopped ${c} (pid ${rec.pid})`);
  }
  rmSync(l.state, { force: true });
}

export async function up(l: Layout, opts: UpOptions): Promise<ClusterState> {
  const log = opts.log ?? (() => {});
  mkdirSync(l.dir, { recursive: true });
  const release = await acquireLock(l.lock, log);
  try {
    const now = await status(l);
    if (now.ready && now.state) {
      log(`test cluster already running at ${now.state.server} (${now.readyNodes} nodes Ready)`);
      return now.state;
    }
    // Leftovers of a failed or half-stopped cluster: stop them before reusing ports and logs.
    if (now.running.length > 0) await down(l, log);
    return await start(l, opts, log);
  } finally {
    release();
  }
}

async function start(l: Layout, opts: UpOptions, log: (line: string) => void): Promise<ClusterState> {
  const t0 = performance.now();
  // Resolve every binary first: a missing one fails with "run `npm run tools`" before anything starts.
  const bin = (name: PeerName) => peerPath(name);
  const bins = {
    etcd: bin("etcd"),
    apiserver: bin("kube-apiserver"),
    controllerManager: bin("kube-controller-manager"),
    scheduler: bin("kube-scheduler"),
    kwok: bin("kwok"),
  };
  for (const p of Object.values(l.ports)) await assertPortFree(p);
  for (const d of [l.logs, l.pids, l.stages]) mkdirSync(d, { recursive: true });
  rmSync(l.etcdData, { recursive: true, force: true });
  ensureCertificates(l.certs);
  const server = `https://127.0.0.1:${l.ports.apiserver}`;
  const kubeconfigs = join(l.dir, "kubeconfigs");
  mkdirSync(kubeconfigs, { recursive: true });
  for (const id of Object.values(IDENTITIES)) {
    writeKubeconfig(join(kubeconfigs, `${id.name}.kubeconfig`), l.certs, id.name, server);
  }
  writeKubeconfig(l.kubeconfig, l.certs, IDENTITIES.admin.name, server);
  const stages = writeStages(l.stages, opts.pods);
  const kc = (name: string) => join(kubeconfigs, `${name}.kubeconfig`);

  const started: PidRecord[] = [];
  const run = (name: Component, binary: string, args: string[]) => {
    started.push(startProcess(l.pids, l.logs, name, binary, args));
  };
  try {
    run("etcd", bins.etcd, [
      "--name=slipway-test",
      `--data-dir=${l.etcdData}`,
      `--listen-client-urls=http://127.0.0.1:${l.ports.etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${l.ports.etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${l.ports.etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${l.ports.etcdPeer}`,
      `--initial-cluster=slipway-test=http://127.0.0.1:${l.ports.etcdPeer}`,
      // Tests do not need durability across power loss; fsync on every write would dominate.
      "--unsafe-no-fsync",
      "--quota-backend-bytes=4294967296",
    ]);
    await waitFor("etcd", started, l, 30_000, async () => {
      const res = await fetch(`http://127.0.0.1:${l.ports.etcdClient}/health`).catch(() => undefined);
      return res?.status === 200;
    });
    log(`etcd ready (${ms(t0)})`);

    run(
      "kube-apiserver",
      bins.apiserver,
      apiserverArgs({ pki: l.certs, etcdClientPort: l.ports.etcdClient, port: l.ports.apiserver }),
    );
    await waitFor("kube-apiserver", started, l, 60_000, async () => {
      const res = await apiCall(l.certs, l.ports.apiserver, "GET", "/readyz").catch(() => undefined);
      return res?.status === 200;
    });
    log(`kube-apiserver ready at ${server} (${ms(t0)})`);

    run(
      "kube-controller-manager",
      bins.controllerManager,
      controllerManagerArgs({
        pki: l.certs,
        kubeconfig: kc("kube-controller-manager"),
        port: l.ports.controllerManager,
      }),
    );
    run(
      "kube-scheduler",
      bins.scheduler,
      schedulerArgs({ kubeconfig: kc("kube-scheduler"), port: l.ports.scheduler }),
    );
    run("kwok", bins.kwok, kwokArgs({ kubeconfig: kc("kwok"), port: l.ports.kwok, stages }));
    await createNodes(l, opts.nodes);
    await waitFor("kwok", started, l, 60_000, async () => (await countReadyNodes(l)) >= opts.nodes);
    log(`${opts.nodes} simulated nodes Ready (${ms(t0)})`);
    await waitFor("kube-controller-manager", started, l, 60_000, () => defaultServiceAccountExists(l));

    const state: ClusterState = {
      kubeconfig: l.kubeconfig,
      server,
      pods: opts.pods,
      nodes: opts.nodes,
      startedAt: new Date().toISOString(),
      startupMs: Math.round(performance.now() - t0),
    };
    writeFileSync(l.state, `${JSON.stringify(state, null, 2)}\n`);
    log(`test cluster up in ${ms(t0)}; kubeconfig: ${l.kubeconfig}`);
    return state;
  } catch (e) {
    const logs = COMPONENTS.map(
      (c) => `--- ${c} (${join(l.logs, `${c}.log`)}) ---\n${tailLog(l.logs, c)}`,
    ).join("\n");
    for (const rec of started.reverse()) await stopProcess(l.pids, rec);
    throw new Error(`${(e as Error).message}\n\nComponent logs (last lines):\n${logs}`, { cause: e });
  }
}

export const ms = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/** Polls `ready` until true; fails early, naming the component, if a started process has died. */
export async function waitFor(
  what: string,
  started: PidRecord[],
  l: Layout,
  timeoutMs: number,
  ready: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const dead = started.find((r) => !isRunning(r));
    if (dead) throw new Error(`${dead.name} exited during start-up; see ${join(l.logs, `${dead.name}.log`)}`);
    if (await ready().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what} was not ready after ${timeoutMs / 1000} s; see ${join(l.logs, `${what}.log`)}`);
}

export function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `port ${port} on 127.0.0.1 is in use (${e.code}); stop what holds it (\`npm run testcluster -- down\`) ` +
            "or choose other ports with SLIPWAY_TESTCLUSTER_PORT=<base>",
        ),
      ),
    );
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve()));
  });
}

/** kwok v0.8 has no built-in stages: concatenate the chosen Stage files into one config. */
export function writeStages(dir: string, pods: PodMode): string {
  const src = kwokStageDir();
  const dirs = ["node/fast", "node/heartbeat-with-lease", `pod/${pods}`, "pod/chaos"];
  const docs: string[] = [];
  for (const d of dirs) {
    const full = join(src, d);
    for (const f of readdirSync(full).sort()) {
      if (!f.endsWith(".yaml") || f === "kustomization.yaml") continue;
      copyFileSync(join(full, f), join(dir, f));
      docs.push(readFileSync(join(full, f), "utf8").trimEnd());
    }
  }
  const out = join(dir, `stages-${pods}.yaml`);
  writeFileSync(out, `${docs.join("\n---\n")}\n`);
  return out;
}

export async function createNodes(l: Layout, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const name = `kwok-node-${i}`;
    const resources = { cpu: "64", memory: "256Gi", pods: "1000" };
    const node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name,
        annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
        labels: {
          "kubernetes.io/hostname": name,
          "kubernetes.io/os": "linux",
          "kubernetes.io/arch": "amd64",
          type: "kwok",
        },
      },
      // One /20 of pod IPs per node: kwok hands out pod IPs from the node's podCIDR.
      spec: { podCIDR: `10.${128 + Math.floor(i / 16)}.${(i % 16) * 16}.0/20` },
      status: {
        allocatable: resources,
        capacity: resources,
        nodeInfo: {
          architecture: "amd64",
          operatingSystem: "linux",
          kubeletVersion: "fake",
          kubeProxyVersion: "fake",
        },
      },
    };
    const res = await apiCall(l.certs, l.ports.apiserver, "POST", "/api/v1/nodes", node);
    if (res.status !== 201 && res.status !== 409) {
      throw new Error(`creating node ${name} failed: HTTP ${res.status} ${res.body}`);
    }
  }
}

export async function defaultServiceAccountExists(l: Layout): Promise<boolean> {
  const res = await apiCall(
    l.certs,
    l.ports.apiserver,
    "GET",
    "/api/v1/namespaces/default/serviceaccounts/default",
  );
  return res.status === 200;
}

/** An exclusive lock file holding our pid; a lock whose holder has died is taken over. */
export async function acquireLock(file: string, log: (line: string) => void): Promise<() => void> {
  const deadline = Date.now() + 10 * 60_000;
  let told = false;
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const holder = Number(readFileSync(file, "utf8").trim());
    if (!Number.isInteger(holder) || holder <= 0 || !existsSync(`/proc/${holder}`)) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${file} is held by pid ${holder} for over 10 minutes`);
    if (!told) log(`waiting for pid ${holder}, which is starting the test cluster`);
    told = true;
    await sleep(250);
  }
}
