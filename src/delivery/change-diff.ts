/**
 * What `slipway diff` and `deploy --dry-run` print for one planned change: a unified diff of the
 * object's YAML, with secret values already redacted by the plan.
 */
import type { ObjectChange } from "./deploy-target.ts";
import { manifestYaml } from "./manifest-yaml.ts";
import { unifiedDiff } from "./unified-diff.ts";

/** The unified diff of one change; "" for an unchanged object. */
export function changeDiff(change: ObjectChange): string {
  const before = change.before === undefined ? "" : manifestYaml(change.before);
  const after = change.after === undefined ? "" : manifestYaml(change.after);
  return unifiedDiff(before, after, {
    oldLabel: change.before === undefined ? "/dev/null" : `a/${change.ref}`,
    newLabel: change.after === undefined ? "/dev/null" : `b/${change.ref}`,
  });
}
