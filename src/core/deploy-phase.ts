/**
 * When a rendered Job runs relative to the rest of a deploy: a contract between the renderer,
 * which marks deploy-time Jobs, and the deploy targets, which order by it. A cluster applies
 * `pre-deploy` Jobs (with the configuration they read) first and waits for them, then the rest,
 * then `post-deploy` Jobs once the workloads are available; a GitOps target hands the same order
 * to Argo CD as sync waves.
 */
import type { KubeObject } from "./kube-object.ts";

export const DEPLOY_PHASE_ANNOTATION = "slipway.dev/deploy-phase";
export const DeployPhase = { Pre: "pre-deploy", Post: "post-deploy" } as const;
export type DeployPhase = (typeof DeployPhase)[keyof typeof DeployPhase];

export function deployPhaseOf(o: KubeObject): DeployPhase | undefined {
  const value = o.metadata.annotations?.[DEPLOY_PHASE_ANNOTATION];
  return value === DeployPhase.Pre || value === DeployPhase.Post ? value : undefined;
}
