/**
 * The order of a deploy with deploy-time Jobs (core/deploy-phase.ts): what a pre-deploy Job reads
 * and the Job itself first, then everything else, then the post-deploy Jobs.
 */
import { DeployPhase, deployPhaseOf } from "../core/deploy-phase.ts";
import { type KubeObject, objectRef } from "../core/kube-object.ts";

/** What a pod reads or runs under: applied before a pre-deploy Job so it starts with the new release's. */
const READ_BY_PODS = new Set([
  "Namespace",
  "ServiceAccount",
  "ConfigMap",
  "Secret",
  "Role",
  "RoleBinding",
  "ClusterRole",
  "ClusterRoleBinding",
  "PersistentVolumeClaim",
  "NetworkPolicy",
]);

export interface Phases {
  /** Pre-deploy Jobs and what they read; empty without pre-deploy Jobs. */
  readonly early: readonly KubeObject[];
  /** Everything but the post-deploy Jobs. */
  readonly main: readonly KubeObject[];
  readonly post: readonly KubeObject[];
}

/** Pure. `undefined` when `objects` hold no deploy-time Jobs: one apply does it all. */
export function splitPhases(objects: readonly KubeObject[]): Phases | undefined {
  const phase = new Map(objects.map((o) => [objectRef(o), deployPhaseOf(o)]));
  const hasPre = [...phase.values()].includes(DeployPhase.Pre);
  const post = objects.filter((o) => phase.get(objectRef(o)) === DeployPhase.Post);
  if (!hasPre && post.length === 0) return undefined;
  return {
    early: hasPre
      ? objects.filter((o) => READ_BY_PODS.has(o.kind) || phase.get(objectRef(o)) === DeployPhase.Pre)
      : [],
    main: objects.filter((o) => phase.get(objectRef(o)) !== DeployPhase.Post),
    post,
  };
}
