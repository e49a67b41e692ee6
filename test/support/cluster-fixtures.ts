/**
 * Small hand-written objects and helpers for tests against the test control plane: each test gets
 * its own namespace and target, and the real kubectl (built with the control plane) acts as an
 * independent witness of what Slipway did.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { KubeObject } from "../../src/core/kube-object.ts";
import { peerPath } from "../../src/testing/peers.ts";

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

export function kubectl(kubeconfig: string, args: string[], input?: string): string {
  const res = spawnSync(peerPath("kubectl"), ["--kubeconfig", kubeconfig, ...args], {
    encoding: "utf8",
    ...(input === undefined ? {} : { input }),
  });
  if (res.status !== 0)
    throw new Error(`kubectl ${args.join(" ")} failed (exit ${res.status}): ${res.stderr}`);
  return res.stdout;
}

export function kubectlJson<T = KubeObject>(kubeconfig: string, args: string[]): T {
  return JSON.parse(kubectl(kubeconfig, [...args, "-o", "json"])) as T;
}

export function createNamespace(kubeconfig: string, name: string): void {
  kubectl(kubeconfig, ["create", "namespace", name]);
}

export function deleteNamespace(kubeconfig: string, name: string): void {
  kubectl(kubeconfig, ["delete", "namespace", name, "--wait=false", "--ignore-not-found"]);
}

/** resourceVersion per `Kind/namespace/name`, as kubectl sees the namespace. */
/**
 * What changes when someone writes the object, and only then. For most kinds that is the
 * resourceVersion. A Deployment's resourceVersion also moves whenever its controller updates the
 * status (replicas becoming available, on a busy machine seconds later), which is not a write by
 * anyone applying it: there the spec's generation and the metadata are compared instead.
 */
function writeMark(o: KubeObject): string {
  if (o.kind !== "Deployment") return String(o.metadata.resourceVersion);
  const { labels, annotations } = o.metadata;
  return `generation ${String(o.metadata.generation)} ${JSON.stringify({ labels, annotations })}`;
}

export function resourceVersions(kubeconfig: string, namespace: string): Map<string, string> {
  const list = kubectlJson<{ items: KubeObject[] }>(kubeconfig, [
    "-n",
    namespace,
    "get",
    "serviceaccounts,configmaps,secrets,services,deployments.apps",
    "-l",
    "slipway.dev/app",
  ]);
  return new Map(list.items.map((o) => [`${o.kind}/${namespace}/${o.metadata.name}`, writeMark(o)]));
}

export interface FixtureOptions {
  readonly image?: string;
  readonly replicas?: number;
  readonly configValue?: string;
  /** Pods of this Deployment fail once running (kwok's chaos stage). */
  readonly failing?: boolean;
  readonly progressDeadlineSeconds?: number;
  /** Pods ask for a node that does not exist: they stay Pending, Unschedulable. */
  readonly unschedulable?: boolean;
  readonly withExtraConfigMap?: boolean;
}

/** A ServiceAccount, ConfigMap, Service and Deployment: the shape of a small rendered app. */
export function fixtureApp(
  namespace: string,
  app: string,
  target: string,
  opts: FixtureOptions = {},
): KubeObject[] {
  const labels = { "slipway.dev/app": app, "slipway.dev/target": target };
  const selector = { "app.kubernetes.io/name": app };
  const meta = (name: string) => ({ name, namespace, labels: { ...labels } });
  const objects: KubeObject[] = [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(app) },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta(`${app}-config`),
      data: { greeting: opts.configValue ?? "hello" },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(app),
      spec: { selector, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta(app),
      spec: {
        replicas: opts.replicas ?? 2,
        progressDeadlineSeconds: opts.progressDeadlineSeconds ?? 60,
        // kwok marks pods Ready at once and the chaos stage fails them 1–2 s later: without a
        // minimum ready time the rollout would count them available in between.
        ...(opts.failing ? { minReadySeconds: 4 } : {}),
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: {
              ...selector,
              ...(opts.failing ? { "pod-container-running-failed.stage.kwok.x-k8s.io": "true" } : {}),
            },
          },
          spec: {
            serviceAccountName: app,
            ...(opts.unschedulable ? { nodeSelector: { "slipway.dev/no-such-node": "true" } } : {}),
            containers: [
              {
                name: "app",
                image:
                  opts.image ??
                  "registry.example.com/demo@sha256:1111111111111111111111111111111111111111111111111111111111111111",
                ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
              },
            ],
          },
        },
      },
    },
  ];
  if (opts.withExtraConfigMap) {
    objects.push({ apiVersion: "v1", kind: "ConfigMap", metadata: meta(`${app}-extra`), data: { k: "v" } });
  }
  return objects;
}

export const release = {
  commit: "0123456789abcdef0123456789abcdef01234567",
  image: "registry.example.com/demo@sha256:1",
};

/**
 * The test control plane has no storage provisioner: a claim would stay Pending and its pods
 * unscheduled. For each claim `objects` will make — PersistentVolumeClaims and the claims of
 * StatefulSets' volumeClaimTemplates — this creates a hostPath PersistentVolume bound to it in
 * advance, as a static provisioner would.
 */
export function provideVolumes(kubeconfig: string, objects: readonly KubeObject[]): void {
  type Claim = {
    metadata: { name: string };
    spec?: {
      accessModes?: string[];
      storageClassName?: string;
      resources?: { requests?: { storage?: string } };
    };
  };
  const claims: { namespace: string; name: string; claim: Claim }[] = [];
  for (const o of objects) {
    const namespace = o.metadata.namespace ?? "default";
    if (o.kind === "PersistentVolumeClaim")
      claims.push({ namespace, name: o.metadata.name, claim: o as Claim });
    if (o.kind !== "StatefulSet") continue;
    const spec = o.spec as { replicas?: number; volumeClaimTemplates?: Claim[] };
    for (const t of spec.volumeClaimTemplates ?? []) {
      for (let i = 0; i < (spec.replicas ?? 1); i++)
        claims.push({ namespace, name: `${t.metadata.name}-${o.metadata.name}-${i}`, claim: t });
    }
  }
  for (const { namespace, name, claim } of claims) {
    const pv = {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: `pv-${namespace}-${name}`.slice(0, 253) },
      spec: {
        accessModes: claim.spec?.accessModes ?? ["ReadWriteOnce"],
        capacity: { storage: claim.spec?.resources?.requests?.storage ?? "1Gi" },
        storageClassName: claim.spec?.storageClassName ?? "",
        persistentVolumeReclaimPolicy: "Delete",
        claimRef: { namespace, name },
        hostPath: { path: `/tmp/slipway-test-volumes/${namespace}/${name}` },
      },
    };
    kubectl(kubeconfig, ["apply", "-f", "-"], JSON.stringify(pv));
  }
}
