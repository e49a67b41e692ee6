/**
 * Why pods are not ready, in words: the conditions that are False (PodScheduled/Unschedulable,
 * Ready/ContainersNotReady) and the container states (waiting with a reason, terminated with an
 * exit code). Used when a rollout fails so the user sees which pods and why.
 */
import type { ApiClient } from "./api-client.ts";

export interface PodDiagnosis {
  readonly name: string;
  readonly phase: string;
  readonly problems: string[];
}

export interface PodLive {
  metadata: { name: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: {
      name: string;
      ready?: boolean;
      state?: {
        waiting?: { reason?: string; message?: string };
        terminated?: { reason?: string; exitCode?: number; message?: string };
      };
    }[];
  };
}

/** Pure: the problems of one pod, empty when it is ready. */
export function podProblems(p: PodLive): string[] {
  const problems: string[] = [];
  for (const c of p.status?.conditions ?? []) {
    if (c.status === "True") continue;
    problems.push(
      `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ""}${c.message ? `: ${c.message}` : ""}`,
    );
  }
  for (const cs of p.status?.containerStatuses ?? []) {
    const w = cs.state?.waiting;
    const t = cs.state?.terminated;
    if (w)
      problems.push(`container ${cs.name} waiting: ${w.reason ?? "?"}${w.message ? ` (${w.message})` : ""}`);
    if (t) {
      problems.push(
        `container ${cs.name} terminated: ${t.reason ?? "?"}, exit code ${t.exitCode ?? "?"}${t.message ? ` (${t.message})` : ""}`,
      );
    }
  }
  if (problems.length === 0 && p.status?.phase !== "Running")
    problems.push(`phase ${p.status?.phase ?? "unknown"}`);
  return problems;
}

export async function diagnosePods(
  client: ApiClient,
  namespace: string,
  matchLabels: Record<string, string>,
): Promise<PodDiagnosis[]> {
  const pods = await listPods(client, namespace, matchLabels);
  return (
    pods
      .map((p) => ({ name: p.metadata.name, phase: p.status?.phase ?? "Unknown", problems: podProblems(p) }))
      .filter((d) => d.problems.length > 0)
      // The failed pods say most about what went wrong; list them first.
      .sort((a, b) => Number(b.phase === "Failed") - Number(a.phase === "Failed"))
      .slice(0, 10)
  );
}

/** Waiting reasons that will not fix themselves without a new revision. */
const STUCK = new Set([
  "CrashLoopBackOff",
  "ImagePullBackOff",
  "ErrImagePull",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
]);

/** The revision a Deployment's controller gives the Deployment and its newest ReplicaSet. */
export const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";

export interface ReplicaSetLive {
  metadata: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { uid: string }[];
  };
}

/** Pure: the pod-template-hash of the Deployment's new ReplicaSet (the one at its revision). */
export function newReplicaSetHash(
  replicaSets: readonly ReplicaSetLive[],
  deployment: { uid: string | undefined; revision: string | undefined },
): string | undefined {
  if (deployment.uid === undefined || deployment.revision === undefined) return undefined;
  const rs = replicaSets.find(
    (r) =>
      r.metadata.ownerReferences?.some((o) => o.uid === deployment.uid) &&
      r.metadata.annotations?.[REVISION_ANNOTATION] === deployment.revision,
  );
  return rs?.metadata.labels?.["pod-template-hash"];
}

/** Pure: the pod has failed, or a container is stuck in a state that needs a new revision. */
export function isFailing(p: PodLive): boolean {
  if (p.status?.phase === "Failed") return true;
  return (p.status?.containerStatuses ?? []).some((c) => STUCK.has(c.state?.waiting?.reason ?? ""));
}

/**
 * The failing pods of the Deployment's new ReplicaSet. Pods of older ReplicaSets do not count:
 * after a rollback those are the failed revision's, and they fail whatever the rollback does.
 * When the new ReplicaSet cannot be told (no revision yet), none count.
 */
export async function failingPods(
  client: ApiClient,
  namespace: string,
  deployment: {
    uid: string | undefined;
    revision: string | undefined;
    matchLabels: Record<string, string>;
  },
): Promise<PodDiagnosis[]> {
  const res = await client.call(
    {
      method: "GET",
      path: `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/replicasets?${new URLSearchParams({ labelSelector: selectorOf(deployment.matchLabels) })}`,
    },
    { verb: "list", resource: "replicasets.apps", namespace },
  );
  const hash = newReplicaSetHash((JSON.parse(res.body) as { items: ReplicaSetLive[] }).items, deployment);
  if (hash === undefined) return [];
  const pods = await listPods(client, namespace, { ...deployment.matchLabels, "pod-template-hash": hash });
  return pods
    .filter(isFailing)
    .map((p) => ({ name: p.metadata.name, phase: p.status?.phase ?? "Unknown", problems: podProblems(p) }));
}

export async function listPods(
  client: ApiClient,
  namespace: string,
  matchLabels: Record<string, string>,
): Promise<PodLive[]> {
  const res = await client.call(
    {
      method: "GET",
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods?${new URLSearchParams({ labelSelector: selectorOf(matchLabels) })}`,
    },
    { verb: "list", resource: "pods", namespace },
  );
  return (JSON.parse(res.body) as { items: PodLive[] }).items;
}

function selectorOf(matchLabels: Record<string, string>): string {
  return Object.entries(matchLabels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
