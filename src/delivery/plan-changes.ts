/**
 * The comparison both deploy targets share: the rendered objects against what the target holds,
 * matched by `kind/namespace/name`. Pure; the target reads its current state and hands it in.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { type KubeObject, objectRef } from "../core/kube-object.ts";
import { ChangeAction, type DeployScope, type ObjectChange } from "./deploy-target.ts";
import { canonical } from "./manifest-yaml.ts";
import { redactPair } from "./redact.ts";

export interface PlanOptions {
  readonly scope: DeployScope;
  readonly prune: boolean;
  readonly allowEmpty?: boolean;
  /** Whether the target's copy already equals the rendered object; deep equality by default. */
  readonly same?: (current: KubeObject, desired: KubeObject) => boolean;
}

/**
 * Changes in render order, then deletions sorted by reference. Objects present in the target but
 * no longer rendered are deleted only with `prune`; without it they are left out of the plan.
 */
export function planChanges(
  desired: readonly KubeObject[],
  current: readonly KubeObject[],
  options: PlanOptions,
): ObjectChange[] {
  const same = options.same ?? deepEqual;
  const existing = new Map(current.map((o) => [objectRef(o), o]));
  const seen = new Set<string>();
  const changes: ObjectChange[] = [];
  for (const after of desired) {
    const ref = objectRef(after);
    if (seen.has(ref)) {
      throw new SlipwayError(ErrorCode.RenderFailed, `the render holds ${ref} twice`, {
        details: { ref },
      });
    }
    seen.add(ref);
    const before = existing.get(ref);
    const action =
      before === undefined
        ? ChangeAction.Create
        : same(before, after)
          ? ChangeAction.Unchanged
          : ChangeAction.Update;
    changes.push({ ref, action, ...defined(redactPair(before, after)) });
  }
  if (options.prune) {
    const stale = [...existing.keys()].filter((ref) => !seen.has(ref)).sort();
    if (desired.length === 0 && stale.length > 0 && options.allowEmpty !== true) {
      const { app, target } = options.scope;
      throw new SlipwayError(
        ErrorCode.Input,
        `refusing to prune ${app} in ${target} down to zero objects (${stale.length} would be deleted); ` +
          "allow an empty target explicitly if that is what you mean",
        { details: { app, target, stale } },
      );
    }
    for (const ref of stale) {
      changes.push({
        ref,
        action: ChangeAction.Delete,
        ...defined(redactPair(existing.get(ref), undefined)),
      });
    }
  }
  return changes;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Drops undefined sides, as `exactOptionalPropertyTypes` asks. */
function defined(pair: { before: KubeObject | undefined; after: KubeObject | undefined }): {
  before?: KubeObject;
  after?: KubeObject;
} {
  return {
    ...(pair.before === undefined ? {} : { before: pair.before }),
    ...(pair.after === undefined ? {} : { after: pair.after }),
  };
}
