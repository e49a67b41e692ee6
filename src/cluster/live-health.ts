/**
 * How an app runs in a channel now, read from the cluster for the promotion gates
 * (`delivery/live-health.ts`): its Deployments and StatefulSets in the channel's namespace,
 * selected by the labels Slipway applies them with, their available replicas against the desired,
 * and the restarts of the pods of their current revision only — a Deployment's newest ReplicaSet,
 * a StatefulSet's update revision — so an older release's crash loop is not held against this one.
 */
import type { PodRestarts, WorkloadHealth } from "../delivery/live-health.ts";
import type { ApiClient } from "./api-client.ts";
import { SCOPE_LABELS } from "./cluster.ts";
import { newReplicaSetHash, REVISION_ANNOTATION, type ReplicaSetLive } from "./diagnose.ts";

const RELEASE_LABEL = "slipway.dev/release";

export interface WorkloadScope {
  readonly namespace: string;
  readonly app: string;
  /** The `slipway.dev/target` label: the channel's name. */
  readonly target: string;
}

interface WorkloadLive {
  metadata: {
    name: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  status?: {
    readyReplicas?: number;
    availableReplicas?: number;
    updateRevision?: string;
  };
}

interface PodStatusLive {
  metadata: { name: string };
  status?: {
    containerStatuses?: { restartCount?: number }[];
    initContainerStatuses?: { restartCount?: number }[];
  };
}

/**
 * A gate is read while someone waits for a page or a promotion: a cluster that does not answer
 * within this long is reported as unreadable rather than holding the request for the client's
 * default two minutes.
 */
export const LIVE_HEALTH_TIMEOUT_MS = 10_000;

export function readWorkloadHealth(
  client: ApiClient,
  scope: WorkloadScope,
  timeoutMs = LIVE_HEALTH_TIMEOUT_MS,
): Promise<WorkloadHealth[]> {
  return client.within({ name: "health", timeoutMs }, () => readWorkloads(client, scope));
}

async function readWorkloads(client: ApiClient, scope: WorkloadScope): Promise<WorkloadHealth[]> {
  const selector = `${SCOPE_LABELS.app}=${scope.app},${SCOPE_LABELS.target}=${scope.target}`;
  const [deployments, statefulSets] = await Promise.all([
    list<WorkloadLive>(client, scope.namespace, "apps", "deployments", selector),
    list<WorkloadLive>(client, scope.namespace, "apps", "statefulsets", selector),
  ]);
  const read = await Promise.all([
    ...deployments.map(async (d) =>
      health("Deployment", d, await deploymentRestarts(client, scope.namespace, d)),
    ),
    ...statefulSets.map(async (s) =>
      health("StatefulSet", s, await statefulSetRestarts(client, scope.namespace, s)),
    ),
  ]);
  return read.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

function health(kind: WorkloadHealth["kind"], w: WorkloadLive, restarts: PodRestarts[]): WorkloadHealth {
  const ready = w.status?.readyReplicas ?? 0;
  return {
    kind,
    name: w.metadata.name,
    release: w.metadata.labels?.[RELEASE_LABEL],
    desired: w.spec?.replicas ?? 1,
    ready,
    // A StatefulSet's availableReplicas needs minReadySeconds support; ready is the fallback.
    available: w.status?.availableReplicas ?? (kind === "StatefulSet" ? ready : 0),
    restarts,
  };
}

async function deploymentRestarts(
  client: ApiClient,
  namespace: string,
  d: WorkloadLive,
): Promise<PodRestarts[]> {
  const matchLabels = d.spec?.selector?.matchLabels ?? {};
  const replicaSets = await list<ReplicaSetLive>(
    client,
    namespace,
    "apps",
    "replicasets",
    selectorOf(matchLabels),
  );
  const hash = newReplicaSetHash(replicaSets, {
    uid: d.metadata.uid,
    revision: d.metadata.annotations?.[REVISION_ANNOTATION],
  });
  // No current ReplicaSet yet (the controller has not caught up): no pods of this revision to count.
  if (hash === undefined) return [];
  return podRestarts(client, namespace, { ...matchLabels, "pod-template-hash": hash });
}

async function statefulSetRestarts(
  client: ApiClient,
  namespace: string,
  s: WorkloadLive,
): Promise<PodRestarts[]> {
  const revision = s.status?.updateRevision;
  if (revision === undefined) return [];
  return podRestarts(client, namespace, {
    ...(s.spec?.selector?.matchLabels ?? {}),
    "controller-revision-hash": revision,
  });
}

async function podRestarts(
  client: ApiClient,
  namespace: string,
  matchLabels: Record<string, string>,
): Promise<PodRestarts[]> {
  const pods = await list<PodStatusLive>(client, namespace, "", "pods", selectorOf(matchLabels));
  return pods
    .map((p) => ({
      pod: p.metadata.name,
      restarts: [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])].reduce(
        (sum, c) => sum + (c.restartCount ?? 0),
        0,
      ),
    }))
    .filter((p) => p.restarts > 0)
    .sort((a, b) => a.pod.localeCompare(b.pod));
}

async function list<T>(
  client: ApiClient,
  namespace: string,
  group: "" | "apps",
  resource: string,
  labelSelector: string,
): Promise<T[]> {
  const base = group === "" ? "/api/v1" : `/apis/${group}/v1`;
  const res = await client.call(
    {
      method: "GET",
      path: `${base}/namespaces/${encodeURIComponent(namespace)}/${resource}?${new URLSearchParams({ labelSelector })}`,
    },
    { verb: "list", resource: group === "" ? resource : `${resource}.${group}`, namespace },
  );
  return (JSON.parse(res.body) as { items: T[] }).items;
}

function selectorOf(matchLabels: Record<string, string>): string {
  return Object.entries(matchLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
