/**
 * The optional second cluster, for tests of channels on several clusters: another kube-apiserver
 * (the same binary) on the first cluster's etcd under another `--etcd-prefix`, with its own
 * controller-manager, scheduler and kwok nodes, and its own kubeconfig context. Sharing etcd and
 * certificates makes it cheap (ready in seconds) while its objects are its own: nothing applied
 * to one API server is visible through the other.
 *
 * Like the first cluster it is started on demand, left running for the next run and stopped with
 * it (`down` of the first stops the second before etcd).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type PeerName, peerPath } from "../../src/testing/peers.ts";
import { apiCall } from "./api.ts";
import { IDENTITIES } from "./certs.ts";
import { apiserverArgs, controllerManagerArgs, kwokArgs, schedulerArgs } from "./components.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import {
  type Component,
  type Layout,
  SECOND_COMPONENTS,
  SECOND_CONTEXT,
  SECOND_ETCD_PREFIX,
  secondLayout,
} from "./layout.ts";
import {
  acquireLock,
  assertPortFree,
  type ClusterState,
  countReadyNodes,
  createNodes,
  defaultServiceAccountExists,
  ms,
  status,
  stopComponents,
  type UpOptions,
  waitFor,
  writeStages,
} from "./lifecycle.ts";
import { isRunning, type PidRecord, readPid, startProcess, stopProcess, tailLog } from "./processes.ts";

export interface SecondState extends ClusterState {
  /** The kubeconfig context naming the second cluster (the first's is `slipway-test`). */
  readonly context: string;
}

export interface SecondStatus {
  readonly running: Component[];
  readonly stopped: Component[];
  readonly ready: boolean;
  readonly readyNodes: number;
  readonly state?: SecondState;
}

export async function secondStatus(first: Layout): Promise<SecondStatus> {
  const l = secondLayout(first);
  const running: Component[] = [];
  const stopped: Component[] = [];
  for (const c of SECOND_COMPONENTS) {
    const rec = readPid(l.pids, c);
    (rec && isRunning(rec) ? running : stopped).push(c);
  }
  const state = existsSync(l.state) ? (JSON.parse(readFileSync(l.state, "utf8")) as SecondState) : undefined;
  let readyNodes = 0;
  let apiReady = false;
  if (running.includes("kube-apiserver")) {
    // /readyz checks etcd too: a second cluster whose etcd (the first cluster's) went away is not ready.
    const readyz = await apiCall(l.certs, l.ports.apiserver, "GET", "/readyz").catch(() => undefined);
    apiReady = readyz?.status === 200;
    if (apiReady) readyNodes = await countReadyNodes(l);
  }
  const ready = stopped.length === 0 && apiReady && state !== undefined && readyNodes >= state.nodes;
  return state ? { running, stopped, ready, readyNodes, state } : { running, stopped, ready, readyNodes };
}

export async function downSecond(first: Layout, log: (line: string) => void = () => {}): Promise<void> {
  await stopComponents(secondLayout(first), SECOND_COMPONENTS, log);
}

/**
 * Starts the second cluster on the first one's etcd; the first must be up (`up` before this).
 * Idempotent and serialised with a lock file of its own, like `up`.
 */
export async function upSecond(first: Layout, opts: UpOptions): Promise<SecondState> {
  const log = opts.log ?? (() => {});
  if (!(await status(first)).ready) {
    throw new Error(`the first test cluster (${first.dir}) is not running: start it first (\`up\`)`);
  }
  const l = secondLayout(first);
  mkdirSync(l.dir, { recursive: true });
  const release = await acquireLock(l.lock, log);
  try {
    const now = await secondStatus(first);
    if (now.ready && now.state) {
      log(`second test cluster already running at ${now.state.server} (${now.readyNodes} nodes Ready)`);
      return now.state;
    }
    if (now.running.length > 0) await downSecond(first, log);
    try {
      return await startSecond(l, opts, log);
    } catch (e) {
      // With a base port above 32758 its ports lie in Linux's ephemeral range (32768–60999): one
      // may be the source port of a connection to etcd, or linger in TIME-WAIT for a minute after
      // it. Wait until the ports are free, start once more, then fail.
      if (!/EADDRINUSE|address already in use/.test((e as Error).message)) throw e;
      log(
        "second cluster: one of its ports is in use, perhaps as a connection's source port; waiting for it",
      );
      await waitForFreePorts(l, 75_000);
      return await startSecond(l, opts, log);
    }
  } finally {
    release();
  }
}

function secondPorts(l: Layout): number[] {
  return [l.ports.apiserver, l.ports.controllerManager, l.ports.scheduler, l.ports.kwok];
}

async function waitForFreePorts(l: Layout, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      for (const p of secondPorts(l)) await assertPortFree(p);
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(1_000);
    }
  }
}

async function startSecond(l: Layout, opts: UpOptions, log: (line: string) => void): Promise<SecondState> {
  const t0 = performance.now();
  const bin = (name: PeerName) => peerPath(name);
  const bins = {
    apiserver: bin("kube-apiserver"),
    controllerManager: bin("kube-controller-manager"),
    scheduler: bin("kube-scheduler"),
    kwok: bin("kwok"),
  };
  for (const p of secondPorts(l)) await assertPortFree(p);
  for (const d of [l.logs, l.pids, l.stages]) mkdirSync(d, { recursive: true });
  const server = `https://127.0.0.1:${l.ports.apiserver}`;
  const kubeconfigs = join(l.dir, "kubeconfigs");
  mkdirSync(kubeconfigs, { recursive: true });
  for (const id of Object.values(IDENTITIES)) {
    writeKubeconfig(join(kubeconfigs, `${id.name}.kubeconfig`), l.certs, id.name, server, SECOND_CONTEXT);
  }
  writeKubeconfig(l.kubeconfig, l.certs, IDENTITIES.admin.name, server, SECOND_CONTEXT);
  const stages = writeStages(l.stages, opts.pods);
  const kc = (name: string) => join(kubeconfigs, `${name}.kubeconfig`);

  const started: PidRecord[] = [];
  const run = (name: Component, binary: string, args: string[]) => {
    started.push(startProcess(l.pids, l.logs, name, binary, args));
  };
  try {
    run(
      "kube-apiserver",
      bins.apiserver,
      apiserverArgs({
        pki: l.certs,
        etcdClientPort: l.ports.etcdClient,
        port: l.ports.apiserver,
        etcdPrefix: SECOND_ETCD_PREFIX,
      }),
    );
    await waitFor("kube-apiserver", started, l, 60_000, async () => {
      const res = await apiCall(l.certs, l.ports.apiserver, "GET", "/readyz").catch(() => undefined);
      return res?.status === 200;
    });
    log(`second kube-apiserver ready at ${server} (${ms(t0)})`);
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
    log(`second cluster: ${opts.nodes} simulated nodes Ready (${ms(t0)})`);
    await waitFor("kube-controller-manager", started, l, 60_000, () => defaultServiceAccountExists(l));
    const state: SecondState = {
      kubeconfig: l.kubeconfig,
      server,
      context: SECOND_CONTEXT,
      pods: opts.pods,
      nodes: opts.nodes,
      startedAt: new Date().toISOString(),
      startupMs: Math.round(performance.now() - t0),
    };
    writeFileSync(l.state, `${JSON.stringify(state, null, 2)}\n`);
    log(`second test cluster up in ${ms(t0)}; kubeconfig: ${l.kubeconfig} (context ${SECOND_CONTEXT})`);
    return state;
  } catch (e) {
    const logs = SECOND_COMPONENTS.map(
      (c) => `--- ${c} (${join(l.logs, `${c}.log`)}) ---\n${tailLog(l.logs, c)}`,
    ).join("\n");
    for (const rec of started.reverse()) await stopProcess(l.pids, rec);
    throw new Error(`second cluster: ${(e as Error).message}\n\nComponent logs (last lines):\n${logs}`, {
      cause: e,
    });
  }
}
