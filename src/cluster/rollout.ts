/**
 * Following the workloads of a deploy until they are done: Deployments and StatefulSets until
 * available (workload-status.ts for StatefulSets), Jobs until complete (jobs.ts). For Deployments
 * the way `kubectl rollout status` judges it:
 * the controller has seen the new generation, every replica is updated, no old replica is left,
 * and the updated ones are available. A `Progressing=False/ProgressDeadlineExceeded` condition is
 * a failure, diagnosed from the pods (diagnose.ts). Polls one list per namespace rather than
 * holding watches: a watch can end silently, a poll cannot, and one list serves many Deployments.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { type KubeObject, objectRef } from "../core/kube-object.ts";
import type { DeployProgress } from "../delivery/deploy-target.ts";
import type { ApiClient } from "./api-client.ts";
import { FIELD_MANAGER, SCOPE_LABELS } from "./cluster.ts";
import { diagnosePods, failingPods, REVISION_ANNOTATION } from "./diagnose.ts";
import { type JobLive, jobFailure, jobState } from "./jobs.ts";
import { scopeSelector, selectedApps } from "./live-state.ts";
import { type StatefulSetLive, statefulSetFailingPods, statefulSetState } from "./workload-status.ts";

/** The kinds a deploy waits for, and where the API lists them. */
const TRACKED = {
  Deployment: { group: "/apis/apps/v1", plural: "deployments", resource: "deployments.apps" },
  StatefulSet: { group: "/apis/apps/v1", plural: "statefulsets", resource: "statefulsets.apps" },
  Job: { group: "/apis/batch/v1", plural: "jobs", resource: "jobs.batch" },
} as const;
type TrackedKind = keyof typeof TRACKED;
const isTracked = (kind: string): kind is TrackedKind => Object.hasOwn(TRACKED, kind);

/** A rollout still waiting after this long gets its pods looked at, at most this often. */
const POD_CHECK_AFTER_MS = 3000;
const POD_CHECK_EVERY_MS = 2000;
/** This many failed (or crash-looping, or image-less) pods fail the rollout before its deadline. */
const FAILING_PODS = 3;

export interface DeploymentLive {
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    annotations?: Record<string, string>;
    managedFields?: { manager?: string; operation?: string; subresource?: string; time?: string }[];
  };
  spec?: {
    replicas?: number;
    progressDeadlineSeconds?: number;
    selector?: { matchLabels?: Record<string, string> };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    readyReplicas?: number;
    conditions?: {
      type: string;
      status: string;
      reason?: string;
      message?: string;
      lastUpdateTime?: string;
    }[];
  };
}

export type RolloutState =
  | { readonly state: "done" }
  | {
      readonly state: "waiting";
      readonly ready: number;
      readonly desired: number;
      readonly why: string;
      /** The controller still reports the previous rollout's missed deadline (this message). */
      readonly previousVerdict?: string;
    }
  | { readonly state: "failed"; readonly reason: string; readonly message: string };

/** When Slipway's last apply changed the Deployment, by the server's clock (whole seconds). */
function appliedAt(d: DeploymentLive): number | undefined {
  const entry = d.metadata.managedFields?.find(
    (m) => m.manager === FIELD_MANAGER && m.operation === "Apply" && (m.subresource ?? "") === "",
  );
  const at = Date.parse(entry?.time ?? "");
  return Number.isNaN(at) ? undefined : at;
}

/** Pure: where one Deployment's rollout stands. `generation` is the one our apply produced. */
export function rolloutState(d: DeploymentLive, generation: number): RolloutState {
  const s = d.status ?? {};
  const desired = d.spec?.replicas ?? 1;
  const ready = s.availableReplicas ?? 0;
  if ((s.observedGeneration ?? 0) < generation) {
    return { state: "waiting", ready, desired, why: "the controller has not seen the new generation yet" };
  }
  const progressing = s.conditions?.find((c) => c.type === "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded") {
    const message = progressing.message ?? "";
    // Back to a ReplicaSet that exists (a rollback), the controller keeps the previous rollout's
    // verdict until it sees progress. A verdict no newer than the apply is not this rollout's:
    // this one cannot have missed a deadline of at least a second within the apply's second.
    const verdictAt = Date.parse(progressing.lastUpdateTime ?? "");
    const applied = appliedAt(d);
    if (applied !== undefined && verdictAt <= applied) {
      return { state: "waiting", ready, desired, why: "no progress seen yet", previousVerdict: message };
    }
    return { state: "failed", reason: "ProgressDeadlineExceeded", message };
  }
  const updated = s.updatedReplicas ?? 0;
  if (updated < desired)
    return { state: "waiting", ready, desired, why: `${updated} of ${desired} replicas updated` };
  if ((s.replicas ?? 0) > updated) {
    return {
      state: "waiting",
      ready,
      desired,
      why: `${(s.replicas ?? 0) - updated} old replicas pending termination`,
    };
  }
  if (ready < updated)
    return { state: "waiting", ready, desired, why: `${ready} of ${updated} updated replicas available` };
  return { state: "done" };
}

export interface TrackOptions {
  readonly target: string;
  readonly timeoutMs?: number;
  readonly pollMs?: number;
  readonly onProgress?: (e: DeployProgress) => void;
}

/**
 * Waits for every Deployment, StatefulSet and Job in `objects` (as returned by the apply, with
 * their generation).
 */
export async function trackRollouts(client: ApiClient, objects: readonly KubeObject[], opts: TrackOptions) {
  const pending = new Map<string, number>();
  const lists = new Set<string>();
  const apps: string[] = [];
  let unlabelled = false;
  for (const o of objects) {
    if (!isTracked(o.kind)) continue;
    pending.set(objectRef(o), Number(o.metadata.generation ?? 1));
    lists.add(`${o.kind}|${o.metadata.namespace ?? "default"}`);
    const app = o.metadata.labels?.[SCOPE_LABELS.app];
    if (app === undefined) unlabelled = true;
    else apps.push(app);
  }
  if (pending.size === 0) return;
  // Each poll lists the tracked apps' workloads only, not every app's in the channel's namespace:
  // a hundred apps rolling out at once each polled all hundred.
  const selector = scopeSelector(opts.target, unlabelled ? undefined : selectedApps(apps));
  const maxDeadline = Math.max(
    600,
    ...objects.map((o) => {
      const spec = (o as { spec?: { progressDeadlineSeconds?: number; activeDeadlineSeconds?: number } })
        .spec;
      return Number(spec?.progressDeadlineSeconds ?? spec?.activeDeadlineSeconds ?? 600);
    }),
  );
  const started = Date.now();
  const deadline = started + (opts.timeoutMs ?? (maxDeadline + 30) * 1000);
  const reported = new Map<string, string>();
  const waitingSince = new Map<string, number>();
  const podsCheckedAt = new Map<string, number>();
  for (;;) {
    const listed = await Promise.all(
      [...lists].map(async (key) => {
        const [kind, ns] = key.split("|") as [TrackedKind, string];
        const { group, plural, resource } = TRACKED[kind];
        const q = new URLSearchParams({ labelSelector: selector });
        const res = await client.call(
          { method: "GET", path: `${group}/namespaces/${encodeURIComponent(ns)}/${plural}?${q}` },
          { verb: "list", resource, namespace: ns },
        );
        return (JSON.parse(res.body) as { items: DeploymentLive[] }).items.map((item) => ({ kind, item }));
      }),
    );
    const deployments: DeploymentLive[] = [];
    for (const { kind, item } of listed.flat()) {
      const ref = `${kind}/${item.metadata.namespace}/${item.metadata.name}`;
      const generation = pending.get(ref);
      if (generation === undefined) continue;
      if (kind === "Deployment") deployments.push(item);
      else if (kind === "Job") {
        const st = jobState(item as JobLive);
        if (st.state === "failed") throw await jobFailure(client, item as JobLive, st.reason, st.message);
        if (st.state === "done") {
          pending.delete(ref);
          opts.onProgress?.({ type: "replicas", ref, ready: 1, desired: 1 });
        }
      } else {
        const set = item as StatefulSetLive;
        const st = statefulSetState(set, generation);
        if (st.state === "done") {
          pending.delete(ref);
          opts.onProgress?.({ type: "replicas", ref, ready: st.desired, desired: st.desired });
          continue;
        }
        const since = waitingSince.get(ref) ?? Date.now();
        waitingSince.set(ref, since);
        const checked = podsCheckedAt.get(ref) ?? 0;
        if (Date.now() - since >= POD_CHECK_AFTER_MS && Date.now() - checked >= POD_CHECK_EVERY_MS) {
          podsCheckedAt.set(ref, Date.now());
          // A StatefulSet replaces a failed pod under the same name: one is all there is to see.
          const failing = await statefulSetFailingPods(client, set);
          if (failing.length > 0) {
            throw await rolloutFailure(
              client,
              set,
              ref,
              "PodsFailing",
              `${failing.length} updated pods failed or cannot start`,
            );
          }
        }
        const key = `${st.ready}/${st.desired}`;
        if (reported.get(ref) !== key) {
          reported.set(ref, key);
          opts.onProgress?.({ type: "replicas", ref, ready: st.ready, desired: st.desired });
        }
      }
    }
    for (const d of deployments) {
      const ref = `Deployment/${d.metadata.namespace}/${d.metadata.name}`;
      const generation = pending.get(ref) ?? 1;
      const st = rolloutState(d, generation);
      if (st.state === "done") {
        pending.delete(ref);
        const desired = d.spec?.replicas ?? 1;
        opts.onProgress?.({ type: "replicas", ref, ready: desired, desired });
        continue;
      }
      if (st.state === "failed") throw await rolloutFailure(client, d, ref, st.reason, st.message);
      // Pods that keep failing make the controller report "progressing" with every replacement,
      // so the progress deadline never passes: look at the pods of a rollout that is slow.
      const since = waitingSince.get(ref) ?? Date.now();
      waitingSince.set(ref, since);
      // A previous verdict stays until the controller sees progress: none within the deadline is
      // this rollout's failure too.
      const deadlineSeconds = d.spec?.progressDeadlineSeconds ?? 600;
      if (st.previousVerdict !== undefined && Date.now() - since > deadlineSeconds * 1000) {
        throw await rolloutFailure(
          client,
          d,
          ref,
          "ProgressDeadlineExceeded",
          `no progress within ${deadlineSeconds} s (the last verdict was the previous rollout's: ${st.previousVerdict})`,
        );
      }
      const checked = podsCheckedAt.get(ref) ?? 0;
      // Only the new ReplicaSet's pods count, and which one that is is known once the controller
      // has seen the generation: after a rollback, the failed revision's pods are still there.
      const seen = (d.status?.observedGeneration ?? 0) >= generation;
      if (seen && Date.now() - since >= POD_CHECK_AFTER_MS && Date.now() - checked >= POD_CHECK_EVERY_MS) {
        podsCheckedAt.set(ref, Date.now());
        const failing = await failingPods(client, d.metadata.namespace ?? "default", {
          uid: d.metadata.uid,
          revision: d.metadata.annotations?.[REVISION_ANNOTATION],
          matchLabels: d.spec?.selector?.matchLabels ?? {},
        });
        if (failing.length >= FAILING_PODS) {
          throw await rolloutFailure(
            client,
            d,
            ref,
            "PodsFailing",
            `${failing.length} new pods failed or cannot start`,
          );
        }
      }
      const key = `${st.ready}/${st.desired}`;
      if (reported.get(ref) !== key) {
        reported.set(ref, key);
        opts.onProgress?.({ type: "replicas", ref, ready: st.ready, desired: st.desired });
      }
    }
    if (pending.size === 0) return;
    if (Date.now() > deadline) {
      const [ref] = pending.keys();
      const found = listed
        .flat()
        .find((x) => `${x.kind}/${x.item.metadata.namespace}/${x.item.metadata.name}` === ref);
      const d = found?.item;
      if (found?.kind === "Job") {
        throw await jobFailure(
          client,
          d as JobLive,
          "Timeout",
          `not complete after ${Math.round((Date.now() - started) / 1000)} s`,
        );
      }
      throw await rolloutFailure(
        client,
        d,
        ref ?? "?",
        "Timeout",
        `still not available after ${Math.round((Date.now() - started) / 1000)} s`,
      );
    }
    await sleep(pollDelayMs(Date.now() - started, opts.pollMs ?? 250));
  }
}

/** The longest wait between two polls of a rollout. */
const MAX_POLL_MS = 2000;

/**
 * How long to wait before the next poll of a rollout that has taken `elapsedMs` so far: `baseMs`
 * at first, then a quarter of the time taken, up to two seconds. A rollout that ends quickly is
 * seen at once; one that waits on a busy cluster is seen at most a quarter late, and a hundred of
 * them do not poll the API server four times a second each (their polls grew with the wait, and
 * the load with the polls: more replicas deploying at once made every rollout slower).
 */
export function pollDelayMs(elapsedMs: number, baseMs: number): number {
  return Math.max(baseMs, Math.min(MAX_POLL_MS, elapsedMs / 4));
}

async function rolloutFailure(
  client: ApiClient,
  d: DeploymentLive | undefined,
  ref: string,
  reason: string,
  message: string,
): Promise<SlipwayError> {
  const pods = d
    ? await diagnosePods(client, d.metadata.namespace ?? "default", d.spec?.selector?.matchLabels ?? {})
    : [];
  const lines = pods.map((p) => `  - pod ${p.name}: ${p.problems.join("; ")}`);
  return new SlipwayError(
    ErrorCode.RolloutFailed,
    `rollout of ${ref} failed (${reason}: ${message})` +
      (lines.length
        ? `\n${lines.join("\n")}`
        : "\n  (no pods were created: check the ReplicaSet's events, e.g. quota or admission)"),
    { details: { ref, reason, message, pods } },
  );
}
