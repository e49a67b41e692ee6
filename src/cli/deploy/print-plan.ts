/** A plan as people read it: one unified diff per changed object, then a one-line summary. */
import { APPLIED_HASH_ANNOTATION } from "../../cluster/cluster.ts";
import { changeDiff } from "../../delivery/change-diff.ts";
import { countChanges, type ObjectChange } from "../../delivery/deploy-target.ts";
import { liveView } from "../../delivery/live-view.ts";
import type { CliIo } from "../io.ts";

/**
 * The cluster adapter's hash of what it applied changes with every change and means nothing to a
 * reader (and a hash of a Secret's intent is better not shown at all).
 */
const BOOKKEEPING = [APPLIED_HASH_ANNOTATION];

export function printPlan(io: CliIo, changes: readonly ObjectChange[], where: string): void {
  for (const change of changes) io.out(changeDiff(liveView(change, { hideAnnotations: BOOKKEEPING })));
  const c = countChanges(changes);
  const total = c.create + c.update + c.delete;
  io.out(
    total === 0
      ? `no changes in ${where} (${c.unchanged} objects unchanged)\n`
      : `${where}: ${c.create} to create, ${c.update} to update, ${c.delete} to delete, ${c.unchanged} unchanged\n`,
  );
}

/** The plan as data for `--output json`: references and actions, values already redacted. */
export function planJson(changes: readonly ObjectChange[]): unknown {
  return changes.map((c) => ({
    ref: c.ref,
    action: c.action,
    ...(c.after === undefined ? {} : { object: c.after }),
  }));
}
