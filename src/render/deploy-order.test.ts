/**
 * For Argo CD, what a pre-deploy Job needs exists in an earlier sync wave than the Job: a
 * preview's own Namespace and cluster-wide RBAC too, which Argo CD would otherwise apply in wave 0,
 * after the Job it should precede (a Job in a namespace that does not exist yet fails the sync).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAppSpec, parsePlatform } from "../spec/parse.ts";
import { SYNC_WAVE_ANNOTATION } from "./hook-jobs.ts";
import { render } from "./render.ts";

const platform = parsePlatform(
  `apiVersion: slipway.dev/v1
kind: Platform
clusters: [{ name: local, gitops: { directory: gitops } }]
channels: [{ name: develop, cluster: local }]
previews: { cluster: local }
rbac:
  clusterRules: [{ team: t, apps: [shop] }]
`,
  "slipway.platform.yaml",
);

test("a preview's Namespace and the app's ClusterRole and binding come in the wave before its pre-deploy Job", () => {
  const app = parseAppSpec(
    `apiVersion: slipway.dev/v1
kind: App
name: shop
team: t
image: { repository: registry.example.com/shop, tag: "1" }
rbac:
  clusterRules: [{ apiGroups: [""], resources: [nodes], verbs: [get] }]
jobs:
  migrate: { when: pre-deploy, command: [/app/migrate] }
`,
    "slipway.yaml",
    platform,
  );
  const objects = render({ app, platform, target: "preview:feature-x" }).objects;
  const wave = (kind: string) =>
    objects.find((o) => o.kind === kind)?.metadata.annotations?.[SYNC_WAVE_ANNOTATION];
  assert.equal(wave("Job"), "-1");
  for (const kind of ["Namespace", "ClusterRole", "ClusterRoleBinding", "ServiceAccount"])
    assert.equal(wave(kind), "-2", kind);
  assert.equal(wave("Deployment"), undefined);
});
