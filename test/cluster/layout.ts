/**
 * Where the test cluster keeps its files and which ports it listens on. Everything is derived
 * from two knobs so that a second cluster (another checkout, a CI job) can run beside the first:
 *   SLIPWAY_TESTCLUSTER_DIR   state directory (default: <repo>/.testcluster, git-ignored)
 *   SLIPWAY_TESTCLUSTER_PORT  base port; components use base … base+5. The default is derived from
 *                             the checkout's path, so two checkouts (a developer's and CI's clean
 *                             clone) never fight over ports while one checkout always finds its own.
 */
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));

export const COMPONENTS = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
] as const;
export type Component = (typeof COMPONENTS)[number];

export interface Ports {
  readonly apiserver: number;
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly controllerManager: number;
  readonly scheduler: number;
  readonly kwok: number;
}

export interface Layout {
  readonly dir: string;
  readonly certs: string;
  readonly logs: string;
  readonly pids: string;
  readonly etcdData: string;
  readonly stages: string;
  /** Admin kubeconfig (client certificate in group system:masters) for tests and kubectl. */
  readonly kubeconfig: string;
  readonly state: string;
  readonly lock: string;
  readonly ports: Ports;
}

export function portsFrom(base: number): Ports {
  return {
    apiserver: base,
    etcdClient: base + 1,
    etcdPeer: base + 2,
    controllerManager: base + 3,
    scheduler: base + 4,
    kwok: base + 5,
  };
}

/** 20000–59990 in steps of 10, from the state directory's path. */
export function defaultBasePort(dir: string): number {
  const n = createHash("sha256").update(dir).digest().readUInt32BE(0);
  return 20000 + (n % 4000) * 10;
}

export function layout(env: NodeJS.ProcessEnv = process.env): Layout {
  const dir = resolve(env.SLIPWAY_TESTCLUSTER_DIR ?? join(repoRoot, ".testcluster"));
  const base = Number(env.SLIPWAY_TESTCLUSTER_PORT ?? defaultBasePort(dir));
  if (!Number.isInteger(base) || base < 1024 || base > 65000) {
    throw new Error(`SLIPWAY_TESTCLUSTER_PORT=${env.SLIPWAY_TESTCLUSTER_PORT} is not a port in 1024…65000`);
  }
  return {
    dir,
    certs: join(dir, "pki"),
    logs: join(dir, "logs"),
    pids: join(dir, "pids"),
    etcdData: join(dir, "etcd"),
    stages: join(dir, "stages"),
    kubeconfig: join(dir, "kubeconfig"),
    state: join(dir, "state.json"),
    lock: join(dir, "lock"),
    ports: portsFrom(base),
  };
}

/**
 * The optional second cluster (second.ts): its own kube-apiserver, controller-manager, scheduler
 * and kwok, on the first cluster's etcd under another key prefix, so it holds objects of its own
 * and starts in seconds. It lives in `<dir>/second` and listens on base+6 … base+9, which the
 * default ports (steps of 10) leave free; it shares the first cluster's certificates.
 */
export const SECOND_COMPONENTS = [
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
] as const satisfies readonly Component[];

/** Where the second cluster's API server keeps its objects in the shared etcd (the first uses /registry). */
export const SECOND_ETCD_PREFIX = "/slipway-second";

/** Kubeconfig context (and cluster) names of the two clusters, distinct so both files merge in $KUBECONFIG. */
export const FIRST_CONTEXT = "slipway-test";
export const SECOND_CONTEXT = "slipway-test-second";

export function secondLayout(first: Layout): Layout {
  const dir = join(first.dir, "second");
  const base = first.ports.apiserver;
  return {
    dir,
    certs: first.certs,
    logs: join(dir, "logs"),
    pids: join(dir, "pids"),
    etcdData: first.etcdData,
    stages: join(dir, "stages"),
    kubeconfig: join(dir, "kubeconfig"),
    state: join(dir, "state.json"),
    lock: join(dir, "lock"),
    ports: {
      apiserver: base + 6,
      etcdClient: first.ports.etcdClient,
      etcdPeer: first.ports.etcdPeer,
      controllerManager: base + 7,
      scheduler: base + 8,
      kwok: base + 9,
    },
  };
}
