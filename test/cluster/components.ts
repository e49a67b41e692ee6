/**
 * The command lines of the control plane's components, shared by the first cluster and the
 * optional second one (second.ts), so that both run the same configuration and differ only in
 * ports, kubeconfigs and the etcd prefix.
 */
import { join } from "node:path";
import { SERVICE_CIDR } from "./certs.ts";

export function apiserverArgs(opts: {
  readonly pki: string;
  readonly etcdClientPort: number;
  readonly port: number;
  /** Where in etcd this API server keeps its objects; another prefix on the same etcd is another cluster. */
  readonly etcdPrefix?: string;
}): string[] {
  const pki = (f: string) => join(opts.pki, f);
  return [
    `--etcd-servers=http://127.0.0.1:${opts.etcdClientPort}`,
    ...(opts.etcdPrefix === undefined ? [] : [`--etcd-prefix=${opts.etcdPrefix}`]),
    "--bind-address=127.0.0.1",
    `--secure-port=${opts.port}`,
    "--advertise-address=127.0.0.1",
    // A loopback advertise address is refused by the endpoint reconciler; nothing needs it here.
    "--endpoint-reconciler-type=none",
    `--tls-cert-file=${pki("apiserver.crt")}`,
    `--tls-private-key-file=${pki("apiserver.key")}`,
    `--client-ca-file=${pki("ca.crt")}`,
    "--authorization-mode=RBAC",
    "--anonymous-auth=false",
    `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
    `--service-account-key-file=${pki("sa.pub")}`,
    `--service-account-signing-key-file=${pki("sa.key")}`,
    // A /24 fills up at ~250 Services; the benchmark alone creates 200.
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    "--allow-privileged=true",
    "--profiling=false",
  ];
}

export function controllerManagerArgs(opts: {
  readonly pki: string;
  readonly kubeconfig: string;
  readonly port: number;
}): string[] {
  const pki = (f: string) => join(opts.pki, f);
  return [
    `--kubeconfig=${opts.kubeconfig}`,
    `--authentication-kubeconfig=${opts.kubeconfig}`,
    `--authorization-kubeconfig=${opts.kubeconfig}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${opts.port}`,
    "--leader-elect=false",
    "--use-service-account-credentials=true",
    `--service-account-private-key-file=${pki("sa.key")}`,
    `--root-ca-file=${pki("ca.crt")}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    // Defaults (20 qps) make a 200-app rollout wait on the controller, not on Slipway.
    "--kube-api-qps=200",
    "--kube-api-burst=400",
    "--concurrent-deployment-syncs=20",
    "--concurrent-replicaset-syncs=20",
    // Simulated nodes renew their lease from kwok, which shares two cores with the whole test
    // suite: a heartbeat a few seconds late must not flip every node NotReady (and taint it)
    // in the middle of a rollout, as the default 50 s grace did under load.
    "--node-monitor-grace-period=3m",
  ];
}

export function schedulerArgs(opts: { readonly kubeconfig: string; readonly port: number }): string[] {
  return [
    `--kubeconfig=${opts.kubeconfig}`,
    `--authentication-kubeconfig=${opts.kubeconfig}`,
    `--authorization-kubeconfig=${opts.kubeconfig}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${opts.port}`,
    "--leader-elect=false",
  ];
}

export function kwokArgs(opts: {
  readonly kubeconfig: string;
  readonly port: number;
  readonly stages: string;
}): string[] {
  return [
    `--kubeconfig=${opts.kubeconfig}`,
    "--manage-all-nodes=false",
    "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
    `--server-address=127.0.0.1:${opts.port}`,
    // The heartbeat stage in use (node-heartbeat-with-lease) refreshes node status only every
    // 10-20 min: liveness is meant to come from the node's Lease, which kwok renews only with a
    // lease duration set. Without it every node went NotReady each grace period.
    "--node-lease-duration-seconds=40",
    "-c",
    opts.stages,
  ];
}
