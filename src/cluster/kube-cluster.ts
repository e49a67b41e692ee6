/**
 * `Cluster` on a real Kubernetes API server: server-side apply under field manager `slipway`,
 * pruning by label, rollout tracking and rollback. Constructed by composition roots (and tests)
 * with `KubeCluster.connect({ kubeconfig, context })`.
 */
import { deployPhaseOf } from "../core/deploy-phase.ts";
import { ErrorCode, isSlipwayError, SlipwayError } from "../core/errors.ts";
import { type KubeObject, objectRef } from "../core/kube-object.ts";
import {
  ChangeAction,
  type DeployProgress,
  type DeployScope,
  type ObjectChange,
  type PlanRequest,
} from "../delivery/deploy-target.ts";
import type { WorkloadHealth } from "../delivery/live-health.ts";
import { ApiClient } from "./api-client.ts";
import { type ApplySetResult, applySet, handBack, PRUNABLE_KINDS } from "./apply-set.ts";
import type { Cluster, ClusterApplyRequest, ClusterApplyResult, RolloutRequest } from "./cluster.ts";
import { SCOPE_LABELS } from "./cluster.ts";
import { applyPhase, planPhase, rolloutPhase } from "./deadlines.ts";
import { Discovery, objectPath } from "./discovery.ts";
import { clearFailedJobs } from "./jobs.ts";
import { readWorkloadHealth, type WorkloadScope } from "./live-health.ts";
import { hasNativeSidecar, nativeSidecarRefusal } from "./native-sidecars.ts";
import { splitPhases } from "./phases.ts";
import {
  inScope,
  NotRolledBack,
  notRolledBack,
  previousRevision,
  rollbackFailed,
  rollbackReport,
  rolledBack,
} from "./rollback.ts";
import { trackRollouts } from "./rollout.ts";
import { httpsTransport, type KubeconfigSource, type Transport } from "./transport.ts";

export interface KubeClusterOptions extends KubeconfigSource {
  /** Requests in flight at the start; the limiter adapts between 2 and `maxConcurrency`. */
  readonly concurrency?: number;
  readonly maxConcurrency?: number;
}

/** A request of one phase of a deploy (phases.ts). */
interface PhaseRequest extends ClusterApplyRequest {
  /** Told the scope's objects as listed before this phase wrote anything. */
  readonly onPrevious?: (previous: readonly KubeObject[]) => void;
  /** The scope's objects as listed before an earlier phase wrote: what a rollback returns to. */
  readonly previousListed?: readonly KubeObject[];
}

export class KubeCluster implements Cluster {
  readonly undo = "rollback";
  readonly #client: ApiClient;
  readonly #discovery: Discovery;
  readonly #transport: Transport;

  private constructor(transport: Transport, opts: KubeClusterOptions) {
    this.#transport = transport;
    this.#client = new ApiClient(transport, {
      ...(opts.concurrency === undefined ? {} : { initialConcurrency: opts.concurrency }),
      ...(opts.maxConcurrency === undefined ? {} : { maxConcurrency: opts.maxConcurrency }),
    });
    this.#discovery = new Discovery(this.#client);
  }

  static async connect(opts: KubeClusterOptions = {}): Promise<KubeCluster> {
    const transport = await httpsTransport(opts, opts.maxConcurrency ?? 48);
    return new KubeCluster(transport, opts);
  }

  /** Requests sent so far (reads included), for benchmarks and tests. */
  get requestCount(): number {
    return this.#client.requests;
  }

  describe(): string {
    return `Kubernetes cluster ${this.#transport.server}`;
  }

  /** The API server's version (`gitVersion`), for the version-skew check (`ClusterVersions`). */
  async serverVersion(): Promise<string> {
    const res = await this.#client.call(
      { method: "GET", path: "/version" },
      { verb: "get", resource: "version" },
    );
    return (JSON.parse(res.body) as { gitVersion: string }).gitVersion;
  }

  #serverVersion: Promise<string> | undefined;

  /** The API server's version, asked once per connection (a failed ask is asked again). */
  #serverVersionOnce(): Promise<string> {
    this.#serverVersion ??= this.serverVersion().catch((e: unknown) => {
      this.#serverVersion = undefined;
      throw e;
    });
    return this.#serverVersion;
  }

  /** Every node's kubelet version, for the version-skew check (`ClusterVersions`). */
  async nodeVersions(): Promise<{ name: string; kubeletVersion: string }[]> {
    const res = await this.#client.call(
      { method: "GET", path: "/api/v1/nodes" },
      { verb: "list", resource: "nodes" },
    );
    const list = JSON.parse(res.body) as {
      items: { metadata: { name: string }; status?: { nodeInfo?: { kubeletVersion?: string } } }[];
    };
    return list.items.map((n) => ({
      name: n.metadata.name,
      kubeletVersion: n.status?.nodeInfo?.kubeletVersion ?? "unknown",
    }));
  }

  /** An app's Deployments and StatefulSets in a namespace as they run now (promotion gates). */
  workloadHealth(scope: WorkloadScope, timeoutMs?: number): Promise<WorkloadHealth[]> {
    return readWorkloadHealth(this.#client, scope, timeoutMs);
  }

  async plan(request: PlanRequest): Promise<readonly ObjectChange[]> {
    const out = await planPhase(this.#client, request.timeouts?.applyMs, () =>
      applySet(
        this.#client,
        this.#discovery,
        [{ ...request, release: { commit: "", image: "" }, wait: false }],
        () => {},
        true,
      ),
    );
    return out.changes;
  }

  apply(request: ClusterApplyRequest): Promise<ClusterApplyResult> {
    return this.#applyAndWait([request]);
  }

  applyAll(requests: readonly ClusterApplyRequest[]): Promise<ClusterApplyResult> {
    return this.#applyAndWait(requests);
  }

  async #applyAndWait(requests: readonly ClusterApplyRequest[]): Promise<ClusterApplyResult> {
    for (const r of requests) {
      if (r.rollbackOnFailure === true && !r.wait) {
        throw new SlipwayError(
          ErrorCode.Input,
          `rolling back ${r.scope.app} in ${r.scope.target} on failure needs waiting for its rollout`,
        );
      }
    }
    const sidecars = requests.flatMap((r) => r.objects.filter(hasNativeSidecar));
    if (sidecars.length > 0) {
      const refusal = nativeSidecarRefusal(sidecars, await this.#serverVersionOnce());
      if (refusal) throw refusal;
    }
    const phased = requests.map((r) => ({ r, phases: splitPhases(r.objects) }));
    if (phased.some((p) => p.phases !== undefined)) return this.#applyInPhases(phased);
    return this.#applyOnce(requests);
  }

  /**
   * A deploy with deploy-time Jobs: pre-deploy Jobs (with what they read) are applied and waited
   * for first — a failure stops the deploy before any workload changes — then everything else,
   * then, once the workloads are available, the post-deploy Jobs. A Job that failed before is
   * run again; one that completed is not (its name is the hash of what it runs).
   */
  async #applyInPhases(
    phased: readonly { r: ClusterApplyRequest; phases: ReturnType<typeof splitPhases> }[],
  ): Promise<ClusterApplyResult> {
    const jobs = phased.flatMap(({ phases }) =>
      phases ? [...phases.early, ...phases.post].filter((o) => o.kind === "Job") : [],
    );
    await clearFailedJobs(this.#client, jobs);
    const results: ClusterApplyResult[] = [];
    const early = phased.filter((p) => (p.phases?.early.length ?? 0) > 0);
    // The revision to return to if a later phase fails is the one before the first phase wrote.
    const before = new Map<ClusterApplyRequest, readonly KubeObject[]>();
    if (early.length > 0) {
      const listed = await this.#applyOnce(
        early.map(({ r, phases }) => ({
          ...r,
          objects: phases!.early,
          prune: false,
          // Pre-deploy Jobs are always waited for: the workloads must not roll before they end.
          wait: true,
          onPrevious: (previous: readonly KubeObject[]) => before.set(r, previous),
        })),
      );
      results.push(listed);
    }
    results.push(
      await this.#applyOnce(
        phased.map(({ r, phases }) => {
          const listed = before.get(r);
          return {
            ...r,
            objects: phases?.main ?? r.objects,
            // Post-deploy Jobs run once the workloads are available, so their rollout is followed
            // even when the caller does not wait for the deploy as a whole.
            wait: r.wait || (phases?.post.length ?? 0) > 0,
            // A post-deploy Job of this same render is not pruned while it waits for its phase.
            handBack: [...(r.handBack ?? []), ...(phases?.post ?? []).map(objectRef)],
            ...(listed ? { previousListed: listed } : {}),
          };
        }),
      ),
    );
    const post = phased.filter((p) => (p.phases?.post.length ?? 0) > 0);
    if (post.length > 0) {
      // The new release is live by now: a failed post-deploy Job is reported, not rolled back.
      results.push(
        await this.#applyOnce(
          post.map(({ r, phases }) => {
            const { rollbackTo: _to, rollbackOnFailure: _on, ...rest } = r;
            return { ...rest, objects: phases!.post, prune: false };
          }),
        ),
      );
    }
    return {
      changes: results.flatMap((x) => x.changes),
      wrote: results.some((x) => x.wrote),
      revision: `${results.reduce((n, x) => n + x.stats.writes, 0)} objects written`,
      stats: {
        writes: results.reduce((n, x) => n + x.stats.writes, 0),
        requests: results.reduce((n, x) => n + x.stats.requests, 0),
        drifted: results.flatMap((x) => x.stats.drifted),
      },
    };
  }

  async #applyOnce(requests: readonly PhaseRequest[]): Promise<ClusterApplyResult> {
    const before = this.#client.requests;
    // Each event goes to the request whose objects it is about, not to every app of the batch. A
    // pruned object is in no request's objects: with one request, it is that request's.
    const byRef = new Map<string, ClusterApplyRequest>();
    for (const r of requests) for (const o of r.objects) byRef.set(objectRef(o), r);
    const sole = requests.length === 1 ? requests[0] : undefined;
    const progress = (e: DeployProgress) => {
      if (e.type === "object" || e.type === "replicas") (byRef.get(e.ref) ?? sole)?.onProgress?.(e);
      else for (const r of requests) r.onProgress?.(e);
    };
    const out = await applyPhase(this.#client, this.#transport.server, requests, progress, (seen) =>
      applySet(this.#client, this.#discovery, requests, seen),
    );
    for (const r of requests) r.onPrevious?.(out.previous.filter((o) => inScope(o, r.scope)));
    const waitFor = requests.filter((r) => r.wait);
    // Every deployment of the batch is progressing from here: written, its rollout to follow.
    for (const r of waitFor) r.onProgress?.({ type: "applied", writes: out.writes });
    for (const r of waitFor) {
      const objects = out.applied.filter((a) => inScope(a.object, r.scope));
      try {
        const timeoutMs = r.timeouts?.rolloutMs ?? r.timeoutMs;
        await this.track({
          scope: r.scope,
          objects: objects.map((a) => a.object),
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
          ...(r.onProgress ? { onProgress: r.onProgress } : {}),
        });
      } catch (e) {
        if (!(isSlipwayError(e) && e.code === ErrorCode.RolloutFailed)) throw e;
        if (r.rollbackTo === undefined && r.rollbackOnFailure !== true) throw e;
        throw await this.#rollBackAfter(e, r, out);
      }
    }
    return {
      changes: out.changes,
      wrote: out.writes > 0,
      revision: `${out.writes} objects written`,
      stats: { writes: out.writes, requests: this.#client.requests - before, drifted: out.drifted },
    };
  }

  /** Puts the previous revision of `r`'s scope back after `failure`; returns the error to report. */
  async #rollBackAfter(failure: SlipwayError, r: PhaseRequest, out: ApplySetResult) {
    const fromCluster = r.rollbackTo === undefined;
    let previous: readonly KubeObject[];
    try {
      previous = r.rollbackTo ?? previousRevision(r.previousListed ?? out.previous, r.scope, r.objects);
    } catch (e) {
      if (!isSlipwayError(e)) throw e;
      return rollbackFailed(failure, r.scope, e);
    }
    if (previous.length === 0) return notRolledBack(failure, r.scope, NotRolledBack.FirstDeploy);
    // Read back from the cluster, the previous revision of an apply that wrote nothing is the
    // failing one itself: re-applying it would change nothing and claim a rollback.
    if (fromCluster && r.previousListed === undefined && !wroteScope(out, r)) {
      return notRolledBack(failure, r.scope, NotRolledBack.NothingChanged);
    }
    const reason = String(failure.details.reason ?? "rollout failed");
    const why = failure.details.message ? `${reason}: ${String(failure.details.message)}` : reason;
    r.onProgress?.({ type: "rollback", reason: why, objects: previous.length });
    // Objects that were there before the failed apply took them over are not its to delete.
    const adopted = out.applied.filter((a) => a.adopted === true && inScope(a.object, r.scope));
    try {
      const result = await this.rollback({
        ...r,
        objects: previous,
        keepAppliedHash: fromCluster,
        handBack: adopted.map((a) => a.ref),
      });
      // Taken with force, the other owner's values are gone from them: handing them back would
      // drop those fields altogether, so they stay as the failed revision left them.
      const forced = r.forceConflicts === true;
      const handedBack: string[] = [];
      for (const a of forced ? [] : adopted) {
        await handBack(
          this.#client,
          await this.#discovery.require(a.object.apiVersion, a.object.kind),
          a.object,
        );
        r.onProgress?.({ type: "object", ref: a.ref, action: ChangeAction.Update });
        handedBack.push(a.ref);
      }
      const kept = forced ? adopted.map((a) => a.ref) : [];
      return rolledBack(failure, r.scope, { ...rollbackReport(result.changes), handedBack, kept });
    } catch (e) {
      if (!isSlipwayError(e)) throw e;
      return rollbackFailed(failure, r.scope, e);
    }
  }

  track(request: RolloutRequest): Promise<void> {
    return rolloutPhase(this.#client, request.timeoutMs, request.onProgress, () =>
      trackRollouts(this.#client, request.objects, {
        target: request.scope.target,
        ...(request.timeoutMs === undefined ? {} : { timeoutMs: request.timeoutMs }),
        ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      }),
    );
  }

  rollback(request: ClusterApplyRequest): Promise<ClusterApplyResult> {
    // A rollback that fails is reported as such, never rolled back in turn.
    const { rollbackTo: _to, rollbackOnFailure: _onFailure, ...rest } = request;
    // The previous revision is Slipway's own intent: re-take any field edited since. Going back
    // runs no deploy-time Job again (a migration of the older release would run twice).
    const objects = rest.objects.filter((o) => deployPhaseOf(o) === undefined);
    return this.#applyAndWait([{ ...rest, objects, prune: true, forceConflicts: true, wait: true }]);
  }

  async list(scope: DeployScope): Promise<KubeObject[]> {
    const selector = `${SCOPE_LABELS.app}=${scope.app},${SCOPE_LABELS.target}=${scope.target}`;
    const out: KubeObject[] = [];
    for (const k of PRUNABLE_KINDS) {
      const r = await this.#discovery.find(k.apiVersion, k.kind);
      if (!r) continue;
      const res = await this.#client.call(
        {
          method: "GET",
          path: `${objectPath(r, undefined)}?${new URLSearchParams({ labelSelector: selector })}`,
        },
        { verb: "list", resource: r.qualified },
      );
      for (const item of (JSON.parse(res.body) as { items: KubeObject[] }).items) {
        out.push({ ...item, apiVersion: r.apiVersion, kind: r.kind });
      }
    }
    return out;
  }
}

/** Whether the apply wrote any object of `r`'s scope (applied and changed, or pruned). */
function wroteScope(out: ApplySetResult, r: ClusterApplyRequest): boolean {
  if (out.applied.some((a) => a.written && inScope(a.object, r.scope))) return true;
  const ours = new Set(out.previous.filter((o) => inScope(o, r.scope)).map(objectRef));
  return out.changes.some((c) => c.action === ChangeAction.Delete && ours.has(c.ref));
}
