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
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: { metadata?: { labels?: Record<string, string> } };
  };
  status?: ReplicaCounts & {
    currentRevision?: string;
    updateRevision?: string;
  };
}

interface ReplicaCounts {
  readyReplicas?: number;
  availableReplicas?: number;
}

interface PodStatusLive {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  status?: {
    conditions?: { type: string; status: string }[];
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
  // The app's ReplicaSets and pods are read with its workloads, in one round trip: their labels
  // come from the pod templates, which carry the scope labels as Slipway renders them. A gate is
  // read while a promotion request waits, and three round trips one after another were most of it.
  const [deployments, statefulSets, replicaSets, pods] = await Promise.all([
    list<WorkloadLive>(client, scope.namespace, "apps", "deployments", selector),
    list<WorkloadLive>(client, scope.namespace, "apps", "statefulsets", selector),
    list<ReplicaSetLive & { status?: ReplicaCounts }>(
      client,
      scope.namespace,
      "apps",
      "replicasets",
      selector,
    ),
    list<PodStatusLive>(client, scope.namespace, "", "pods", selector),
  ]);
  const scoped: Owned = { replicaSets, pods };
  // A workload whose template lost the scope labels (an override) has its own read.
  const owned = (w: WorkloadLive): Owned | undefined =>
    w.spec?.template?.metadata?.labels?.[SCOPE_LABELS.app] === scope.app &&
    w.spec.template.metadata.labels[SCOPE_LABELS.target] === scope.target
      ? scoped
      : undefined;
  const read = await Promise.all([
    ...deployments.map(async (d) =>
      health("Deployment", d, await deploymentCurrent(client, scope.namespace, d, owned(d))),
    ),
    ...statefulSets.map(async (s) =>
      health("StatefulSet", s, await statefulSetCurrent(client, scope.namespace, s, owned(s))),
    ),
  ]);
  return read.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

/** The ReplicaSets and pods of the app in the channel, read beside its workloads. */
interface Owned {
  readonly replicaSets: readonly (ReplicaSetLive & { status?: ReplicaCounts })[];
  readonly pods: readonly PodStatusLive[];
}

/** The workload's current revision: its ready and available replicas, and its pods' restarts. */
interface CurrentRevision {
  readonly ready: number;
  readonly available: number;
  readonly restarts: PodRestarts[];
}

const NO_CURRENT_REVISION: CurrentRevision = { ready: 0, available: 0, restarts: [] };

function health(kind: WorkloadHealth["kind"], w: WorkloadLive, current: CurrentRevision): WorkloadHealth {
  return {
    kind,
    name: w.metadata.name,
    release: w.metadata.labels?.[RELEASE_LABEL],
    desired: w.spec?.replicas ?? 1,
    ready: current.ready,
    available: current.available,
    restarts: current.restarts,
  };
}

/**
 * A Deployment's newest ReplicaSet: mid-rollout the Deployment's own counts include the older
 * ReplicaSets' pods, which still serve while the new ones crash — those are not this revision's.
 */
async function deploymentCurrent(
  client: ApiClient,
  namespace: string,
  d: WorkloadLive,
  owned: Owned | undefined,
): Promise<CurrentRevision> {
  const matchLabels = d.spec?.selector?.matchLabels ?? {};
  const replicaSets =
    owned === undefined
      ? await list<ReplicaSetLive & { status?: ReplicaCounts }>(
          client,
          namespace,
          "apps",
          "replicasets",
          selectorOf(matchLabels),
        )
      : owned.replicaSets.filter((r) => matches(r.metadata.labels, matchLabels));
  const hash = newReplicaSetHash(replicaSets, {
    uid: d.metadata.uid,
    revision: d.metadata.annotations?.[REVISION_ANNOTATION],
  });
  // No current ReplicaSet yet (the controller has not caught up): no pods of this revision run.
  if (hash === undefined) return NO_CURRENT_REVISION;
  const current = replicaSets.find((r) => r.metadata.labels?.["pod-template-hash"] === hash);
  const pods = await currentPods(client, namespace, { ...matchLabels, "pod-template-hash": hash }, owned);
  return {
    ready: current?.status?.readyReplicas ?? 0,
    available: current?.status?.availableReplicas ?? 0,
    restarts: podRestarts(pods),
  };
}

/**
 * A StatefulSet's update revision. Its own counts include pods of the revision before until the
 * rolling update has replaced them all (`currentRevision` becomes `updateRevision`); until then
 * only the update revision's ready pods count.
 */
async function statefulSetCurrent(
  client: ApiClient,
  namespace: string,
  s: WorkloadLive,
  owned: Owned | undefined,
): Promise<CurrentRevision> {
  const revision = s.status?.updateRevision;
  if (revision === undefined) return NO_CURRENT_REVISION;
  const pods = await currentPods(
    client,
    namespace,
    { ...(s.spec?.selector?.matchLabels ?? {}), "controller-revision-hash": revision },
    owned,
  );
  const ready = s.status?.readyReplicas ?? 0;
  // A StatefulSet's availableReplicas needs minReadySeconds support; ready is the fallback.
  const available = s.status?.availableReplicas ?? ready;
  if (s.status?.currentRevision === revision) return { ready, available, restarts: podRestarts(pods) };
  const readyNow = pods.filter(isReady).length;
  return {
    ready: Math.min(ready, readyNow),
    available: Math.min(available, readyNow),
    restarts: podRestarts(pods),
  };
}

function isReady(p: PodStatusLive): boolean {
  return (
    p.metadata.deletionTimestamp === undefined &&
    (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")
  );
}

async function currentPods(
  client: ApiClient,
  namespace: string,
  matchLabels: Record<string, string>,
  owned: Owned | undefined,
): Promise<readonly PodStatusLive[]> {
  if (owned !== undefined) return owned.pods.filter((p) => matches(p.metadata.labels, matchLabels));
  return list<PodStatusLive>(client, namespace, "", "pods", selectorOf(matchLabels));
}

/** What an equality label selector of `matchLabels` selects. */
function matches(labels: Record<string, string> | undefined, matchLabels: Record<string, string>): boolean {
  return Object.entries(matchLabels).every(([k, v]) => labels?.[k] === v);
}

function podRestarts(pods: readonly PodStatusLive[]): PodRestarts[] {
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
