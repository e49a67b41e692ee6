/**
 * `Cluster` on a real Kubernetes API server: server-side apply under field manager `slipway`,
 * pruning by label, rollout tracking and rollback. Constructed by composition roots (and tests)
 * with `KubeCluster.connect({ kubeconfig, context })`.
 */
import { isSlipwayError, SlipwayError } from "../core/errors.ts";
import { type KubeObject, objectRef } from "../core/kube-object.ts";
import type { DeployProgress, DeployScope, ObjectChange, PlanRequest } from "../delivery/deploy-target.ts";
import { ApiClient } from "./api-client.ts";
import { applySet, PRUNABLE_KINDS } from "./apply-set.ts";
import type { Cluster, ClusterApplyRequest, ClusterApplyResult, RolloutRequest } from "./cluster.ts";
import { SCOPE_LABELS } from "./cluster.ts";
import { Discovery, objectPath } from "./discovery.ts";
import { trackRollouts } from "./rollout.ts";
import { httpsTransport, type KubeconfigSource, type Transport } from "./transport.ts";

export interface KubeClusterOptions extends KubeconfigSource {
  /** Requests in flight at the start; the limiter adapts between 2 and `maxConcurrency`. */
  readonly concurrency?: number;
  readonly maxConcurrency?: number;
}

export class KubeCluster implements Cluster {
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

  async plan(request: PlanRequest): Promise<readonly ObjectChange[]> {
    const out = await applySet(
      this.#client,
      this.#discovery,
      [{ ...request, release: { commit: "", image: "" }, wait: false }],
      () => {},
      true,
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
    const before = this.#client.requests;
    // Each event goes to the request whose objects it is about, not to every app of the batch.
    const byRef = new Map<string, ClusterApplyRequest>();
    for (const r of requests) for (const o of r.objects) byRef.set(objectRef(o), r);
    const progress = (e: DeployProgress) => {
      if (e.type === "object" || e.type === "replicas") byRef.get(e.ref)?.onProgress?.(e);
      else for (const r of requests) r.onProgress?.(e);
    };
    const out = await applySet(this.#client, this.#discovery, requests, progress);
    const waitFor = requests.filter((r) => r.wait);
    for (const r of waitFor) {
      const objects = out.applied.filter((a) => a.object.metadata.labels?.[SCOPE_LABELS.app] === r.scope.app);
      try {
        await this.track({
          scope: r.scope,
          objects: objects.map((a) => a.object),
          ...(r.timeoutMs === undefined ? {} : { timeoutMs: r.timeoutMs }),
          ...(r.onProgress ? { onProgress: r.onProgress } : {}),
        });
      } catch (e) {
        if (!(isSlipwayError(e) && e.code === "SLIPWAY_E_ROLLOUT_FAILED" && r.rollbackTo)) throw e;
        r.onProgress?.({
          type: "note",
          text: `rollout failed; rolling back ${r.scope.app} in ${r.scope.target}`,
        });
        await this.rollback({ ...r, objects: r.rollbackTo });
        throw new SlipwayError(e.code, `${e.message}\nRolled back to the previously applied revision.`, {
          details: { ...e.details, rolledBack: true },
          cause: e,
        });
      }
    }
    return {
      changes: out.changes,
      wrote: out.writes > 0,
      revision: `${out.writes} objects written`,
      stats: { writes: out.writes, requests: this.#client.requests - before, drifted: out.drifted },
    };
  }

  track(request: RolloutRequest): Promise<void> {
    return trackRollouts(this.#client, request.objects, {
      target: request.scope.target,
      ...(request.timeoutMs === undefined ? {} : { timeoutMs: request.timeoutMs }),
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
    });
  }

  rollback(request: ClusterApplyRequest): Promise<ClusterApplyResult> {
    const { rollbackTo: _ignored, ...rest } = request;
    // The previous revision is Slipway's own intent: re-take any field edited since.
    return this.#applyAndWait([{ ...rest, prune: true, forceConflicts: true, wait: true }]);
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
