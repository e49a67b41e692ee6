/**
 * Where a rendered set of objects goes: a Kubernetes cluster (server-side apply) or a GitOps
 * repository (a commit). The CLI and the server speak only this interface, so a deploy, a diff
 * and a progress display read the same for both. Pure types; implementations are adapters.
 */
import type { KubeObject } from "../core/kube-object.ts";

export const ChangeAction = {
  Create: "create",
  Update: "update",
  Delete: "delete",
  Unchanged: "unchanged",
} as const;
export type ChangeAction = (typeof ChangeAction)[keyof typeof ChangeAction];

/** The app's objects in one target. Pruning and diffs never reach outside it. */
export interface DeployScope {
  readonly app: string;
  readonly target: string;
  /**
   * The team the app is deployed for. A cluster refuses objects and namespaces already labelled
   * for another team; without it, only app and target are compared.
   */
  readonly team?: string;
}

/**
 * One object's fate. `before` and `after` carry secret values redacted (see `redact.ts`), so a
 * change can be printed, logged or stored as it is.
 */
export interface ObjectChange {
  /** `kind/namespace/name`, see `objectRef`. */
  readonly ref: string;
  readonly action: ChangeAction;
  readonly before?: KubeObject;
  readonly after?: KubeObject;
}

export interface PlanRequest {
  readonly scope: DeployScope;
  readonly objects: readonly KubeObject[];
  /** Delete objects of the scope that are no longer rendered. */
  readonly prune: boolean;
  /**
   * Pruning a scope down to zero objects is almost always a mistake (an empty render, a wrong
   * target); it needs this explicit consent.
   */
  readonly allowEmpty?: boolean;
  /** Notes while planning or applying, e.g. that another deploy holds the target and this one waits. */
  readonly onProgress?: (event: DeployProgress) => void;
  /** Deadlines; a target without a use for one ignores it. */
  readonly timeouts?: DeployTimeouts;
}

/**
 * How long a deploy may take, per phase (ms). `applyMs`: from the first request to the target to
 * the last write (a cluster: reads, writes and prunes with their retries). `rolloutMs`: following
 * the workloads until they are available. Past either, the deploy fails naming the phase.
 */
export interface DeployTimeouts {
  readonly applyMs?: number;
  readonly rolloutMs?: number;
}

/** The deadlines when neither a flag nor the platform file's `deploy:` names one. */
export const DEFAULT_DEPLOY_TIMEOUTS = { applyMs: 3 * 60_000, rolloutMs: 10 * 60_000 } as const;

/** What is being deployed, for commit messages, annotations and records. */
export interface ReleaseInfo {
  /** The app's source commit. */
  readonly commit: string;
  /** The image reference, pinned by digest. */
  readonly image: string;
}

export type DeployProgress =
  | { readonly type: "object"; readonly ref: string; readonly action: ChangeAction }
  | { readonly type: "replicas"; readonly ref: string; readonly ready: number; readonly desired: number }
  | { readonly type: "revision"; readonly id: string; readonly pushed: boolean }
  /** The rollout failed (`reason`); the object and replica events that follow are the rollback's. */
  | { readonly type: "rollback"; readonly reason: string; readonly objects: number }
  | { readonly type: "note"; readonly text: string }
  /** A cluster wrote the objects (`writes` of them changed) and follows the rollout from here. */
  | { readonly type: "applied"; readonly writes: number }
  /**
   * Requests to the target are being retried: what it answered (`text`, e.g. `API server answered
   * 504 Timeout 3 times; next try in 4 s`) and when the next try is; `over` once it answers again.
   */
  | {
      readonly type: "waiting";
      readonly phase: string;
      readonly text: string;
      readonly answer: string;
      readonly failures: number;
      readonly nextTryMs: number;
      readonly over: boolean;
      readonly waitedMs: number;
    };

export interface ApplyRequest extends PlanRequest {
  readonly release: ReleaseInfo;
  /** Wait until workloads are available (cluster); a GitOps target notes that it cannot. */
  readonly wait: boolean;
  /**
   * When the rollout fails, put back the revision the target held before this apply, then report
   * the failure (still as a failure). Needs `wait`, and a target whose `undo` is `rollback`.
   */
  readonly rollbackOnFailure?: boolean;
  /**
   * Cluster targets: take over objects Slipway has not applied before, and the fields other field
   * managers own on them. Objects Slipway applied for this app and target are always re-applied
   * with force, which is how drift (an edit behind Slipway's back) is corrected; objects of another
   * app or target are never taken over, with or without this. A git directory has no field owners.
   */
  readonly forceConflicts?: boolean;
  readonly onProgress?: (event: DeployProgress) => void;
}

export interface ApplyResult {
  readonly changes: readonly ObjectChange[];
  /** What now holds the deployed state: a git commit id, or a cluster-side description. */
  readonly revision?: string;
  /** False when nothing had to be written (an unchanged render). */
  readonly wrote: boolean;
}

export interface DeployTarget {
  /** One line for people: `cluster context kind-dev` or `GitOps repository /srv/gitops (main)`. */
  describe(): string;
  /**
   * How a failed deploy is undone. `rollback`: the target follows the rollout and can put the
   * previous revision back itself (`rollbackOnFailure`). `git-revert`: a controller applies what
   * was committed, later and out of sight, so undoing a deploy is reverting its commit.
   */
  readonly undo: "rollback" | "git-revert";
  /** What `apply` would do, without writing anything. */
  plan(request: PlanRequest): Promise<readonly ObjectChange[]>;
  apply(request: ApplyRequest): Promise<ApplyResult>;
}

/**
 * Turns a rendered Secret into an encrypted form a GitOps repository may hold. Declared here, with
 * the other ports of a deploy, so an adapter (the GitOps target) implements it and the core does
 * not import the adapter.
 */
export interface SecretSealer {
  /**
   * Contract: when `previous` (the encrypted copy the repository holds) decrypts to the values of
   * `plain`, return `previous` itself. SOPS encryption is randomized, so re-encrypting an
   * unchanged Secret would otherwise make a commit on every deploy.
   */
  seal(plain: KubeObject, previous: KubeObject | undefined): Promise<KubeObject>;
}

/** Counts per action, for summaries ("2 created, 1 updated"). */
export function countChanges(changes: readonly ObjectChange[]): Record<ChangeAction, number> {
  const counts: Record<ChangeAction, number> = { create: 0, update: 0, delete: 0, unchanged: 0 };
  for (const change of changes) counts[change.action]++;
  return counts;
}
