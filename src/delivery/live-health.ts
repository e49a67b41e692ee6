/**
 * The port through which promotion gates see how an app runs in a channel now, rather than what
 * the last deployment recorded: a channel on a cluster is read live (its Deployments and
 * StatefulSets, and the restarts of the pods of their current revision); a channel committed to
 * a GitOps directory has no live view, and the gates fall back to the record and say so.
 * The cluster adapter implements it (`src/cluster/live-health.ts`); composition roots bind it.
 */

/** A pod of the workload's current revision that restarted, and how often (its containers summed). */
export interface PodRestarts {
  readonly pod: string;
  readonly restarts: number;
}

/** One Deployment or StatefulSet of the app in the channel, as the cluster has it now. */
export interface WorkloadHealth {
  readonly kind: "Deployment" | "StatefulSet";
  readonly name: string;
  /** The `slipway.dev/release` label: the release that applied it, when it carries one. */
  readonly release: string | undefined;
  readonly desired: number;
  /**
   * Ready and available replicas of the current revision: mid-rollout, the pods of an older
   * revision still serving are not counted (they are not this release's).
   */
  readonly ready: number;
  readonly available: number;
  /**
   * Pods of the current revision (a Deployment's newest ReplicaSet, a StatefulSet's update
   * revision) with at least one restart: an older revision's restarts are not this release's.
   */
  readonly restarts: readonly PodRestarts[];
}

export type ChannelHealth =
  /** Read from the cluster now; `where` says which cluster and namespace, for reasons. */
  | {
      readonly source: "live";
      readonly where: string;
      readonly workloads: readonly WorkloadHealth[];
    }
  /** No live view (a GitOps directory): `where` names it; the record is all there is. */
  | { readonly source: "recorded"; readonly where: string }
  /** The cluster could not be read: the gates cannot tell, so they do not pass. */
  | { readonly source: "unreadable"; readonly where: string; readonly error: string };

export interface ChannelHealthQuery {
  readonly app: string;
  readonly team: string;
  readonly channel: string;
}

export interface LiveHealth {
  /**
   * A cluster that cannot be read (unreachable, forbidden) is answered `unreadable` with the
   * error's message; anything else thrown is a fault of the caller (an unknown channel).
   */
  channelHealth(query: ChannelHealthQuery): Promise<ChannelHealth>;
}

/** Every channel committed to one GitOps directory (the demo's): the record is all there is. */
export function recordedOnly(directory: string): LiveHealth {
  return { channelHealth: async () => ({ source: "recorded", where: `GitOps directory ${directory}` }) };
}
