/** The cluster's phases of a deploy with deploy-time Jobs (pure). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEPLOY_PHASE_ANNOTATION } from "../core/deploy-phase.ts";
import type { KubeObject } from "../core/kube-object.ts";
import { splitPhases } from "./phases.ts";

const object = (kind: string, name: string, phase?: string): KubeObject => ({
  apiVersion: "v1",
  kind,
  metadata: { name, ...(phase ? { annotations: { [DEPLOY_PHASE_ANNOTATION]: phase } } : {}) },
});

test("cluster-wide RBAC and the namespace are applied with what a pre-deploy Job reads, before it runs", () => {
  const objects = [
    object("Namespace", "shop-pr-x"),
    object("ServiceAccount", "shop"),
    object("ClusterRole", "shop-pr-x--shop"),
    object("ClusterRoleBinding", "shop-pr-x--shop"),
    object("Deployment", "shop"),
    object("Job", "shop--migrate-1", "pre-deploy"),
    object("Job", "shop--warm-2", "post-deploy"),
  ];
  const phases = splitPhases(objects);
  assert.deepEqual(
    phases?.early.map((o) => o.kind),
    ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Job"],
  );
  assert.deepEqual(
    phases?.post.map((o) => o.metadata.name),
    ["shop--warm-2"],
  );
  assert.ok(!phases?.main.some((o) => o.metadata.name === "shop--warm-2"));
});
