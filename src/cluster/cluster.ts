/**
 * The capability the core uses to deploy to Kubernetes: apply a rendered set, prune what is no
 * longer rendered, follow the rollout, and roll back. Pure types — no Kubernetes client here; the
 * implementation is `KubeCluster` (kube-cluster.ts), constructed only by composition roots.
 *
 * A `Cluster` is also a `DeployTarget`, so the CLI and server treat it like the GitOps target.
 */
import type { KubeObject } from "../core/kube-object.ts";
import type {
  ApplyRequest,
  ApplyResult,
  DeployProgress,
  DeployScope,
  DeployTarget,
} from "../delivery/deploy-target.ts";

export const FIELD_MANAGER = "slipway";

/** Every object Slipway applies carries these; pruning selects by them and nothing else. */
export const SCOPE_LABELS = { app: "slipway.dev/app", target: "slipway.dev/target" } as const;

/**
 * The team an object (or a namespace) was deployed for. With the scope labels it says whose the
 * object is: no other app, target or team writes or prunes it (ownership.ts).
 */
export const TEAM_LABEL = "slipway.dev/team";

/**
 * The environment variable with which the operator allows kubeconfig credential plugins (`exec`,
 * `auth-provider`): `1` or `true`. Read by composition roots, never from an app's files.
 */
export const ALLOW_CREDENTIAL_PLUGINS_ENV = "SLIPWAY_ALLOW_EXEC_CREDENTIALS";

/** Hash of the intent Slipway last applied to this object (see intent.ts). */
export const APPLIED_HASH_ANNOTATION = "slipway.dev/applied-hash";

export interface ClusterApplyRequest extends ApplyRequest {
  /**
   * The previously applied objects of this scope. When the rollout fails and these are given,
   * Slipway re-applies them, waits for that rollout, and then reports the failure. Without them,
   * `rollbackOnFailure` rolls back to what Slipway had applied to the scope before this apply, as
   * the cluster records it (`appliedConfiguration` of each live object).
   */
  readonly rollbackTo?: readonly KubeObject[];
  /**
   * The objects are a revision read back from the cluster, not a render: each keeps the intent
   * hash it carries (the one it was applied with), so an object the failed revision did not touch
   * is not re-sent, and a later deploy of that revision's render finds the object unchanged.
   */
  readonly keepAppliedHash?: boolean;
  /**
   * Objects (`objectRef`) of the scope that are never pruned, because they existed before Slipway
   * applied to them: a rollback hands them back to their owner instead (`handBack`).
   */
  readonly handBack?: readonly string[];
  /**
   * Take over objects that exist without being Slipway's (no scope labels), keeping the fields
   * other managers own. Without it (or `forceConflicts`), such an object is a conflict naming its
   * managers. Another app's or target's object is never taken over, whatever the request says.
   */
  readonly adopt?: boolean;
  /** Upper bound for waiting, on top of each Deployment's own progress deadline. */
  readonly timeoutMs?: number;
}

/** Counters a caller can check and a benchmark can print. */
export interface ApplyStats {
  /** Objects the API server actually changed (resourceVersion moved, or created/deleted). */
  readonly writes: number;
  /** Requests sent, reads included. */
  readonly requests: number;
  /** Objects whose live state had drifted from what Slipway applied, and were re-applied. */
  readonly drifted: readonly string[];
}

export interface ClusterApplyResult extends ApplyResult {
  readonly stats: ApplyStats;
}

export interface RolloutRequest {
  readonly scope: DeployScope;
  /** Deployments to follow, as applied (kind/namespace/name and the generation written). */
  readonly objects: readonly KubeObject[];
  readonly timeoutMs?: number;
  readonly onProgress?: (event: DeployProgress) => void;
}

export interface Cluster extends DeployTarget {
  apply(request: ClusterApplyRequest): Promise<ClusterApplyResult>;
  /**
   * Several scopes of one target at once (a channel's apps, a platform resync): one listing of the
   * target's objects serves all of them, so an unchanged re-apply costs a few list calls.
   */
  applyAll(requests: readonly ClusterApplyRequest[]): Promise<ClusterApplyResult>;
  /** Waits until the Deployments are available; throws SLIPWAY_E_ROLLOUT_FAILED naming pods and conditions. */
  track(request: RolloutRequest): Promise<void>;
  /** Re-applies a previous revision of a scope (with pruning) and waits for it. */
  rollback(request: ClusterApplyRequest): Promise<ClusterApplyResult>;
  /** The live objects of a scope, as the server holds them. */
  list(scope: DeployScope): Promise<KubeObject[]>;
}
