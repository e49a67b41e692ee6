/**
 * A control plane of a test's own — etcd and kube-apiserver on free ports in a temporary
 * directory — for tests that break it on purpose (kill, freeze, close, re-certify). The shared
 * test cluster other tests use is never touched. No controllers or nodes: the fault tests apply
 * and read objects, they do not run pods.
 *
 * Every request reaches an audit log (`requests()`), the independent count of what a client sent.
 * Processes are started detached (so a signal to the test runner does not reach them first) and
 * stopped by pid when the test ends or the process exits.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, portIsFree } from "../../src/testing/free-port.ts";
import { peerPath } from "../../src/testing/peers.ts";
import { ensureCertificates } from "../cluster/certs.ts";
import { writeKubeconfig } from "../cluster/kubeconfig.ts";
import { isRunning, type PidRecord, startProcess, stopProcess, tailLog } from "../cluster/processes.ts";

/** One request as the API server's audit log has it. */
export interface AuditedRequest {
  readonly verb: string;
  readonly uri: string;
  readonly userAgent: string;
  readonly code: number;
  readonly at: number;
}

export interface ApiserverOptions {
  /** Extra flags, e.g. `--max-requests-inflight=1`. */
  readonly args?: readonly string[];
  /** Serve with this directory's certificate (another CA's: a certificate the clients do not trust). */
  readonly servingPki?: string;
}

export interface PrivateCluster {
  readonly dir: string;
  readonly kubeconfig: string;
  readonly server: string;
  readonly port: number;
  readonly pki: string;
  /** The API server's process, SIGKILLed (as by a crash). */
  killApiserver(): Promise<void>;
  /** Starts the API server (again), resolving once it answers /readyz. */
  startApiserver(options?: ApiserverOptions): Promise<void>;
  freezeEtcd(): void;
  thawEtcd(): void;
  /** Audit-logged requests since `since` (epoch ms), all of them or those of a user agent. */
  requests(since?: number, userAgent?: RegExp): AuditedRequest[];
  close(): Promise<void>;
}

const started = new Set<PidRecord>();
process.once("exit", () => {
  // The test runner is leaving: no process of ours may outlive it.
  for (const r of started) if (isRunning(r)) process.kill(r.pid, "SIGKILL");
});

/** Certificates of another authority: what a server shows after its certificate was replaced. */
export function otherPki(dir: string): string {
  const pki = join(dir, "other-pki");
  ensureCertificates(pki);
  return pki;
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  const dir = mkdtempSync(join(tmpdir(), "slipway-private-cluster-"));
  const pki = join(dir, "pki");
  const [logs, pids, etcdData] = [join(dir, "logs"), join(dir, "pids"), join(dir, "etcd")];
  for (const d of [logs, pids]) mkdirSync(d, { recursive: true });
  ensureCertificates(pki);
  const [port, etcdClient, etcdPeer] = [await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${port}`;
  const kubeconfig = join(dir, "kubeconfig");
  writeKubeconfig(kubeconfig, pki, "admin", server, "slipway-private");
  const auditLog = join(dir, "audit.log");
  const policy = join(dir, "audit-policy.yaml");
  writeFileSync(
    policy,
    'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: ["RequestReceived"]\nrules:\n  - level: Metadata\n',
  );

  const run = (name: string, bin: string, args: string[]) => {
    const record = startProcess(pids, logs, name, bin, args);
    started.add(record);
    return record;
  };
  const etcd = run("etcd", peerPath("etcd"), [
    "--name=private",
    `--data-dir=${etcdData}`,
    `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=private=http://127.0.0.1:${etcdPeer}`,
    "--unsafe-no-fsync",
  ]);
  await waitUntil("etcd", etcd, logs, 30_000, async () => {
    const res = await fetch(`http://127.0.0.1:${etcdClient}/health`).catch(() => undefined);
    return res?.status === 200;
  });

  let apiserver: PidRecord | undefined;
  const pk = (f: string) => join(pki, f);
  const cluster: PrivateCluster = {
    dir,
    kubeconfig,
    server,
    port,
    pki,
    async killApiserver() {
      const record = apiserver;
      if (record === undefined) return;
      apiserver = undefined;
      // At once, before this returns its promise: a caller kills between two requests.
      if (isRunning(record)) process.kill(record.pid, "SIGKILL");
      while (isRunning(record)) await sleep(20);
      await stopProcess(pids, record, 0);
      started.delete(record);
    },
    async startApiserver(options = {}) {
      await cluster.killApiserver();
      // A SIGKILLed process may look gone (its main thread has exited, /proc shows no command
      // line) while its other threads still hold the listening socket: a restart at once found
      // the port "already in use". Start once the port is free.
      const freeBy = Date.now() + 10_000;
      while (!(await portIsFree(port)) && Date.now() < freeBy) await sleep(50);
      const serving = options.servingPki ?? pki;
      apiserver = run("kube-apiserver", peerPath("kube-apiserver"), [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${port}`,
        "--advertise-address=127.0.0.1",
        "--endpoint-reconciler-type=none",
        `--tls-cert-file=${join(serving, "apiserver.crt")}`,
        `--tls-private-key-file=${join(serving, "apiserver.key")}`,
        `--client-ca-file=${pk("ca.crt")}`,
        "--authorization-mode=RBAC",
        "--anonymous-auth=false",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${pk("sa.pub")}`,
        `--service-account-signing-key-file=${pk("sa.key")}`,
        "--service-cluster-ip-range=10.96.0.0/16",
        "--profiling=false",
        `--audit-policy-file=${policy}`,
        `--audit-log-path=${auditLog}`,
        // Written as they happen: the tests count requests right after making them.
        "--audit-log-mode=blocking",
        ...(options.args ?? []),
      ]);
      const record = apiserver;
      // Readiness is asked with the serving CA: a server showing another CA's certificate answers
      // once it serves, whoever signed it.
      await waitUntil("kube-apiserver", record, logs, 90_000, async () => {
        return (await readyz(port, join(serving, "ca.crt"), pki)) === 200;
      });
    },
    freezeEtcd() {
      process.kill(etcd.pid, "SIGSTOP");
    },
    thawEtcd() {
      process.kill(etcd.pid, "SIGCONT");
    },
    requests(since = 0, userAgent) {
      if (!existsSync(auditLog)) return [];
      return readFileSync(auditLog, "utf8")
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => {
          const e = JSON.parse(line) as {
            verb: string;
            requestURI: string;
            userAgent?: string;
            responseStatus?: { code?: number };
            requestReceivedTimestamp: string;
          };
          return {
            verb: e.verb,
            uri: e.requestURI,
            userAgent: e.userAgent ?? "",
            code: e.responseStatus?.code ?? 0,
            at: Date.parse(e.requestReceivedTimestamp),
          };
        })
        .filter((r) => r.at >= since && (userAgent === undefined || userAgent.test(r.userAgent)));
    },
    async close() {
      cluster.thawEtcd();
      await cluster.killApiserver();
      await stopProcess(pids, etcd, 5000);
      started.delete(etcd);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await cluster.startApiserver();
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}

async function waitUntil(
  what: string,
  record: PidRecord,
  logs: string,
  timeoutMs: number,
  ready: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(record)) throw new Error(`${what} exited while starting:\n${tailLog(logs, what)}`);
    if (await ready().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what} was not ready after ${timeoutMs / 1000} s:\n${tailLog(logs, what)}`);
}

/** The status of /readyz, trusting `ca` and authenticating as the admin of `pki`; 0 when unreachable. */
function readyz(port: number, ca: string, pki: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/readyz",
        ca: readFileSync(ca),
        cert: readFileSync(join(pki, "admin.crt")),
        key: readFileSync(join(pki, "admin.key")),
        timeout: 3000,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
    req.end();
  });
}
