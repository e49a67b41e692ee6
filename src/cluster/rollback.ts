/**
 * Rolling back a failed rollout, as decisions and messages: which revision to go back to, and how
 * the failure reads once the rollback did (or could not) happen. Pure; kube-cluster.ts does the
 * applying.
 *
 * The previous revision is what Slipway itself had applied to the scope before this apply, read
 * from the objects the apply listed anyway: each live object restricted to the fields Slipway's
 * `Apply` entry owns. Nothing else is stored, and nothing else is requested.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { type KubeObject, objectRef } from "../core/kube-object.ts";
import { ChangeAction, type DeployScope, type ObjectChange } from "../delivery/deploy-target.ts";
import { FIELD_MANAGER, SCOPE_LABELS } from "./cluster.ts";
import { appliedBySlipway } from "./intent.ts";
import { appliedConfiguration } from "./managed-fields.ts";

export function inScope(o: KubeObject, scope: DeployScope): boolean {
  const labels = o.metadata.labels ?? {};
  return labels[SCOPE_LABELS.app] === scope.app && labels[SCOPE_LABELS.target] === scope.target;
}

/**
 * The revision of `scope` that `live` (listed before the apply) holds; empty on a first deploy.
 *
 * With `failed` (the objects the failed apply wrote), fields another manager owned before it and
 * that the failed revision set — taken over by its forced apply — are put back with their values
 * from before: a `replicas` set with `kubectl scale` comes back as it was, instead of being given
 * up and reset to its default. (Fields under maps; list items by key are left as they are.)
 */
export function previousRevision(
  live: readonly KubeObject[],
  scope: DeployScope,
  failed: readonly KubeObject[] = [],
): KubeObject[] {
  const out: KubeObject[] = [];
  const failedByRef = new Map(failed.map((o) => [objectRef(o), o]));
  for (const o of live) {
    if (!inScope(o, scope) || !appliedBySlipway(o)) continue;
    const applied = appliedConfiguration(o, FIELD_MANAGER);
    if (!applied) continue;
    const took = failedByRef.get(objectRef(o));
    out.push(took === undefined ? applied : withTakenOver(applied, o, took));
  }
  return out;
}

type Json = Record<string, unknown>;

/** `applied` plus the values `before` had at the paths other managers owned and `failed` set. */
function withTakenOver(applied: KubeObject, before: KubeObject, failed: KubeObject): KubeObject {
  let copy: Json | undefined;
  for (const path of othersPaths(before)) {
    if (path[0] === "metadata" || path[0] === "status") continue;
    const value = at(before, path);
    if (value === undefined || at(failed, path) === undefined || at(applied, path) !== undefined) continue;
    copy ??= structuredClone(applied) as unknown as Json;
    let node = copy;
    for (const key of path.slice(0, -1)) {
      if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
      node = node[key] as Json;
    }
    node[path.at(-1)!] = structuredClone(value);
  }
  return (copy as unknown as KubeObject | undefined) ?? applied;
}

/** Leaf paths through map fields (`f:`) that managers other than Slipway own on `o`. */
function othersPaths(o: KubeObject): string[][] {
  const paths: string[][] = [];
  const walk = (node: unknown, path: string[]) => {
    if (typeof node !== "object" || node === null) return;
    const keys = Object.keys(node).filter((k) => k !== ".");
    if (keys.length === 0) {
      if (path.length > 0) paths.push(path);
      return;
    }
    for (const key of keys) {
      // Only map fields: list items (`k:`, `v:`, `i:`) are not matched here.
      if (key.startsWith("f:")) walk((node as Json)[key], [...path, key.slice(2)]);
    }
  };
  for (const entry of (o.metadata.managedFields ?? []) as readonly {
    manager?: string;
    fieldsV1?: unknown;
  }[]) {
    if (entry.manager !== FIELD_MANAGER) walk(entry.fieldsV1, []);
  }
  return paths;
}

function at(o: unknown, path: readonly string[]): unknown {
  let node = o;
  for (const key of path) {
    if (typeof node !== "object" || node === null || Array.isArray(node)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

/** What the rollback changed, by reference: objects put back, and objects the failed revision added. */
export interface RollbackReport {
  readonly restored: string[];
  readonly removed: string[];
  /** Objects that existed before the failed apply took them over: Slipway's fields given up. */
  readonly handedBack: string[];
  /** Taken over with force by the failed apply: left as it made them. */
  readonly kept: string[];
}

export function rollbackReport(changes: readonly ObjectChange[]): RollbackReport {
  return {
    restored: changes
      .filter((c) => c.action === ChangeAction.Create || c.action === ChangeAction.Update)
      .map((c) => c.ref),
    removed: changes.filter((c) => c.action === ChangeAction.Delete).map((c) => c.ref),
    handedBack: [],
    kept: [],
  };
}

/** `failure` (SLIPWAY_E_ROLLOUT_FAILED), after the previous revision was put back and is available. */
export function rolledBack(failure: SlipwayError, scope: DeployScope, report: RollbackReport): SlipwayError {
  const parts = [
    report.restored.length > 0 ? `restored ${report.restored.join(", ")}` : "",
    report.removed.length > 0 ? `removed ${report.removed.join(", ")} (added by the failed revision)` : "",
    report.handedBack.length > 0
      ? `handed back ${report.handedBack.join(", ")} (there before the failed revision; Slipway's fields given up)`
      : "",
    report.kept.length > 0
      ? `left ${report.kept.join(", ")} as the failed revision made them (taken over with --force-conflicts; not Slipway's to delete)`
      : "",
  ].filter(Boolean);
  return new SlipwayError(
    failure.code,
    `${failure.message}\nRolled back to the previously applied revision of ${scope.app} in ${scope.target}` +
      `${parts.length > 0 ? `: ${parts.join("; ")}` : ""}.`,
    { details: { ...failure.details, rolledBack: true, rollback: report }, cause: failure },
  );
}

/** Why a requested rollback did not happen; the objects are left as the failed apply made them. */
export const NotRolledBack = {
  FirstDeploy: "no previous revision",
  NothingChanged: "nothing changed",
} as const;
export type NotRolledBack = (typeof NotRolledBack)[keyof typeof NotRolledBack];

export function notRolledBack(failure: SlipwayError, scope: DeployScope, why: NotRolledBack): SlipwayError {
  const text =
    why === NotRolledBack.FirstDeploy
      ? `Not rolled back: there is no previous revision of ${scope.app} in ${scope.target} (Slipway had applied none of its objects); they are left as they are.`
      : `Not rolled back: this deploy changed nothing in ${scope.app} in ${scope.target}, so the failing revision is the one that was there before; it is left as it is.`;
  return new SlipwayError(failure.code, `${failure.message}\n${text}`, {
    details: { ...failure.details, rolledBack: false, rollbackSkipped: why },
    cause: failure,
  });
}

/** The rollback itself failed (its apply or its rollout): both failures, the first one first. */
export function rollbackFailed(failure: SlipwayError, scope: DeployScope, error: SlipwayError): SlipwayError {
  return new SlipwayError(
    ErrorCode.RolloutFailed,
    `${failure.message}\nRolling back ${scope.app} in ${scope.target} to the previously applied revision failed too:\n${error.message}`,
    {
      details: {
        ...failure.details,
        rolledBack: false,
        rollbackError: { code: error.code, message: error.message, details: error.details },
      },
      cause: failure,
    },
  );
}
