/**
 * Jobs on a cluster: where a Job stands (pure), why it failed — its pods' states and the last
 * lines of the failed pod's log — and the retry of a Job that failed before, so that deploying
 * the same release again runs a failed Job again but never one that completed.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import type { ApiClient } from "./api-client.ts";
import { listPods, type PodLive, podProblems } from "./diagnose.ts";

/** How many lines of the failed pod's log a failure quotes. */
export const LOG_LINES = 20;
/** The label the Job controller puts on its pods (and the older one, before 1.27). */
const JOB_NAME_LABELS = ["batch.kubernetes.io/job-name", "job-name"];

export interface JobLive {
  metadata: { name: string; namespace?: string; uid?: string };
  spec?: { activeDeadlineSeconds?: number; backoffLimit?: number };
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export type JobState =
  | { readonly state: "done" }
  | { readonly state: "waiting"; readonly why: string }
  | { readonly state: "failed"; readonly reason: string; readonly message: string };

/** Pure: a Job is done when Complete, failed when Failed (backoff limit or deadline reached). */
export function jobState(job: JobLive): JobState {
  const conditions = job.status?.conditions ?? [];
  const holds = (type: string) => conditions.find((c) => c.type === type && c.status === "True");
  if (holds("Complete")) return { state: "done" };
  const failed = holds("Failed");
  if (failed) {
    return {
      state: "failed",
      reason: failed.reason ?? "Failed",
      message: failed.message ?? "the Job failed",
    };
  }
  const s = job.status ?? {};
  return {
    state: "waiting",
    why: `${s.active ?? 0} running, ${s.succeeded ?? 0} succeeded, ${s.failed ?? 0} failed`,
  };
}

/**
 * The failure of a deploy-time Job, in words: what the controller says, each pod's state, and
 * the last lines of the log of the pod that failed last.
 */
export async function jobFailure(
  client: ApiClient,
  job: JobLive,
  reason: string,
  message: string,
): Promise<SlipwayError> {
  const namespace = job.metadata.namespace ?? "default";
  const pods = await jobPods(client, namespace, job.metadata.name);
  const lines = pods.map(
    (p) => `  - pod ${p.metadata.name}: ${podProblems(p).join("; ") || p.status?.phase}`,
  );
  const failed = pods.filter((p) => p.status?.phase === "Failed").at(-1) ?? pods.at(-1);
  const log = failed ? await lastLogLines(client, namespace, failed) : undefined;
  const ref = `Job/${namespace}/${job.metadata.name}`;
  return new SlipwayError(
    ErrorCode.RolloutFailed,
    `${ref} failed (${reason}: ${message}); the deploy stops here` +
      (lines.length
        ? `\n${lines.join("\n")}`
        : "\n  (the Job created no pods: check its events, e.g. quota or admission)") +
      (log === undefined ? "" : `\n  last ${LOG_LINES} log lines of ${failed?.metadata.name}:\n${log}`),
    { details: { ref, reason, message, pods: pods.map((p) => p.metadata.name) } },
  );
}

async function jobPods(client: ApiClient, namespace: string, name: string): Promise<PodLive[]> {
  for (const label of JOB_NAME_LABELS) {
    const pods = await listPods(client, namespace, { [label]: name });
    if (pods.length > 0) return pods;
  }
  return [];
}

/** The tail of the pod's first container's log, indented; a log the node cannot serve says so. */
async function lastLogLines(client: ApiClient, namespace: string, pod: PodLive): Promise<string> {
  const q = new URLSearchParams({ tailLines: String(LOG_LINES) });
  try {
    const res = await client.call(
      {
        method: "GET",
        path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod.metadata.name)}/log?${q}`,
      },
      { verb: "get", resource: "pods/log", name: pod.metadata.name, namespace },
    );
    const text = res.body.trimEnd();
    return text === ""
      ? "    (the log is empty)"
      : text
          .split("\n")
          .map((l) => `    | ${l}`)
          .join("\n");
  } catch (e) {
    // The log is a help, not the verdict: a node that cannot serve it does not hide the failure.
    return `    (the log could not be read: ${e instanceof Error ? e.message.split("\n")[0] : String(e)})`;
  }
}

/**
 * Deletes those of `jobs` that exist and failed, with their pods, so the apply that follows
 * creates them again: deploying a release whose Job failed is how it is retried. A Job that
 * completed is left as it is, and so is not run again.
 */
export async function clearFailedJobs(client: ApiClient, jobs: readonly KubeObject[]): Promise<string[]> {
  const cleared: string[] = [];
  for (const job of jobs) {
    const namespace = job.metadata.namespace ?? "default";
    const path = `/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs/${encodeURIComponent(job.metadata.name)}`;
    const ctx = { resource: "jobs.batch", name: job.metadata.name, namespace } as const;
    const res = await client.call({ method: "GET", path }, { verb: "get", ...ctx }, [200, 404]);
    if (res.status === 404) continue;
    const live = JSON.parse(res.body) as JobLive;
    if (jobState(live).state !== "failed") continue;
    await client.call(
      {
        method: "DELETE",
        path,
        body: JSON.stringify({
          apiVersion: "v1",
          kind: "DeleteOptions",
          // Foreground: the Job is gone only once its pods are, so the new one starts clean.
          propagationPolicy: "Foreground",
          preconditions: { uid: live.metadata.uid },
        }),
      },
      { verb: "delete", ...ctx },
      [200, 202, 404],
    );
    await waitGone(client, path, ctx);
    cleared.push(`Job/${namespace}/${job.metadata.name}`);
  }
  return cleared;
}

async function waitGone(
  client: ApiClient,
  path: string,
  ctx: { resource: string; name: string; namespace: string },
): Promise<void> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const res = await client.call({ method: "GET", path }, { verb: "get", ...ctx }, [200, 404]);
    if (res.status === 404) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new SlipwayError(
    ErrorCode.Cluster,
    `Job/${ctx.namespace}/${ctx.name} failed before and is still being deleted after 60 s; deploy again once it is gone`,
  );
}
