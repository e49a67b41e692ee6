import assert from "node:assert/strict";
import { test } from "node:test";
import { deployment } from "../fixtures.ts";
import { apiLifecycle, tableCheckedThrough } from "./api-lifecycle.ts";
import { deprecatedUses } from "./deprecations.ts";
import { type ClusterVersions, checkSkew, skewOf } from "./skew.ts";
import { parseKubeVersion } from "./versions.ts";

const v = (s: string) => parseKubeVersion(s) ?? assert.fail(s);

test("the lifecycle table covers releases through v1.37 and every row is well-formed", () => {
  assert.equal(tableCheckedThrough, "1.37");
  for (const row of apiLifecycle) {
    assert.ok(parseKubeVersion(row.deprecatedIn), row.apiVersion);
    if (row.removedIn)
      assert.ok(v(row.removedIn).minor > v(row.deprecatedIn).minor, `${row.apiVersion} ${row.kinds}`);
  }
});

test("an object on a removed API is listed with its replacement and removal version", () => {
  const objects = [
    { ...deployment(), apiVersion: "extensions/v1beta1" },
    {
      apiVersion: "autoscaling/v2beta2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "web", namespace: "shop" },
    },
    { apiVersion: "flowcontrol.apiserver.k8s.io/v1beta3", kind: "FlowSchema", metadata: { name: "f" } },
    deployment("ok"),
  ];
  assert.deepEqual(deprecatedUses(objects, v("1.25")), [
    {
      object: "Deployment/shop/web",
      apiVersion: "extensions/v1beta1",
      kind: "Deployment",
      status: "removed",
      deprecatedIn: "1.9",
      removedIn: "1.16",
      replacement: "apps/v1",
    },
    {
      object: "HorizontalPodAutoscaler/shop/web",
      apiVersion: "autoscaling/v2beta2",
      kind: "HorizontalPodAutoscaler",
      status: "deprecated",
      deprecatedIn: "1.23",
      removedIn: "1.26",
      replacement: "autoscaling/v2",
    },
  ]);
  assert.deepEqual(
    deprecatedUses(objects, v("v1.32.1")).map((u) => `${u.object} ${u.status}`),
    ["Deployment/shop/web removed", "HorizontalPodAutoscaler/shop/web removed", "FlowSchema/f removed"],
  );
});

test("skew: nodes left behind, too old, or newer than the API server are reported", () => {
  const report = checkSkew("v1.31.2", [
    { name: "a", kubeletVersion: "v1.31.0" },
    { name: "b", kubeletVersion: "v1.29.7" },
    { name: "c", kubeletVersion: "v1.27.3" },
    { name: "d", kubeletVersion: "v1.32.0" },
  ]);
  assert.deepEqual(
    report.nodes.map((n) => `${n.name} ${n.status} ${n.minorsBehind}`),
    ["a current 0", "b behind 2", "c unsupported 4", "d newer -1"],
  );
  assert.equal(report.ok, false);
});

test("skew for a target: a node within today's window that the next control-plane upgrade would strand", () => {
  const report = checkSkew("1.31", [{ name: "b", kubeletVersion: "v1.28.9" }], { target: "1.32" });
  assert.equal(report.nodes[0]?.status, "behind");
  assert.equal(report.nodes[0]?.blocksTarget, true);
  assert.match(report.nodes[0]?.message ?? "", /upgrade this node before the control plane moves to 1\.32/);
  assert.equal(report.ok, false);
});

test("skewOf reads through the ClusterVersions capability a live-cluster adapter implements", async () => {
  const cluster: ClusterVersions = {
    serverVersion: async () => "v1.36.1",
    nodeVersions: async () => [
      { name: "pool-a-1", kubeletVersion: "v1.36.1" },
      { name: "pool-b-1", kubeletVersion: "v1.35.4" },
    ],
  };
  const report = await skewOf(cluster, { target: "1.37" });
  assert.deepEqual(
    report.nodes.map((n) => [n.name, n.status, n.blocksTarget]),
    [
      ["pool-a-1", "current", false],
      ["pool-b-1", "behind", false],
    ],
  );
  assert.equal(report.ok, true);
});
