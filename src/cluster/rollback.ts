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
import type { KubeObject } from "../core/kube-object.ts";
import { ChangeAction, type DeployScope, type ObjectChange } from "../delivery/deploy-target.ts";
import { FIELD_MANAGER, SCOPE_LABELS } from "./cluster.ts";
import { appliedBySlipway } from "./intent.ts";
import { appliedConfiguration } from "./managed-fields.ts";

export function inScope(o: KubeObject, scope: DeployScope): boolean {
  const labels = o.metadata.labels ?? {};
  return labels[SCOPE_LABELS.app] === scope.app && labels[SCOPE_LABELS.target] === scope.target;
}

/** The revision of `scope` that `live` (listed before the apply) holds; empty on a first deploy. */
export function previousRevision(live: readonly KubeObject[], scope: DeployScope): KubeObject[] {
  const out: KubeObject[] = [];
  for (const o of live) {
    if (!inScope(o, scope) || !appliedBySlipway(o)) continue;
    const applied = appliedConfiguration(o, FIELD_MANAGER);
    if (applied) out.push(applied);
  }
  return out;
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
