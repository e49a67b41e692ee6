/**
 * Where a StatefulSet's rollout stands, judged as `kubectl rollout status` does for a
 * RollingUpdate StatefulSet: the controller has seen the new generation, every replica runs the
 * update revision (`currentRevision` has caught up with `updateRevision`) and is ready.
 */
import type { ApiClient } from "./api-client.ts";
import { isFailing, listPods, type PodDiagnosis, podProblems } from "./diagnose.ts";

export interface StatefulSetLive {
  metadata: { name: string; namespace?: string; generation?: number };
  spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}

export type StatefulSetState =
  | { readonly state: "done"; readonly desired: number }
  | { readonly state: "waiting"; readonly ready: number; readonly desired: number; readonly why: string };

/** Pure. `generation` is the one our apply produced. */
export function statefulSetState(s: StatefulSetLive, generation: number): StatefulSetState {
  const st = s.status ?? {};
  const desired = s.spec?.replicas ?? 1;
  const ready = st.availableReplicas ?? st.readyReplicas ?? 0;
  if ((st.observedGeneration ?? 0) < generation)
    return { state: "waiting", ready, desired, why: "the controller has not seen the new generation yet" };
  const updated = st.updatedReplicas ?? 0;
  if (updated < desired)
    return { state: "waiting", ready, desired, why: `${updated} of ${desired} replicas updated` };
  if (st.updateRevision !== undefined && st.currentRevision !== st.updateRevision)
    return { state: "waiting", ready, desired, why: "the update revision is not current yet" };
  if (ready < desired)
    return { state: "waiting", ready, desired, why: `${ready} of ${desired} replicas ready` };
  return { state: "done", desired };
}

/** The failing pods of the update revision. */
export async function statefulSetFailingPods(client: ApiClient, s: StatefulSetLive): Promise<PodDiagnosis[]> {
  const revision = s.status?.updateRevision;
  if (revision === undefined) return [];
  const pods = await listPods(client, s.metadata.namespace ?? "default", {
    ...(s.spec?.selector?.matchLabels ?? {}),
    "controller-revision-hash": revision,
  });
  return pods
    .filter(isFailing)
    .map((p) => ({ name: p.metadata.name, phase: p.status?.phase ?? "Unknown", problems: podProblems(p) }));
}
