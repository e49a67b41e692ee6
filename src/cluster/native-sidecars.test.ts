import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../core/kube-object.ts";
import { nativeSidecarRefusal } from "./native-sidecars.ts";

const withSidecar = (kind: string, name: string): KubeObject => {
  const pod = { initContainers: [{ name: "proxy", restartPolicy: "Always" }], containers: [{ name: "app" }] };
  const template = { spec: pod };
  return {
    apiVersion: kind === "CronJob" ? "batch/v1" : "apps/v1",
    kind,
    metadata: { name, namespace: "shop-develop" },
    spec: kind === "CronJob" ? { jobTemplate: { spec: { template } } } : { template },
  };
};
const plain: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "plain", namespace: "shop-develop" },
  spec: { template: { spec: { initContainers: [{ name: "init" }], containers: [{ name: "app" }] } } },
};

test("native sidecars are refused on an API server older than 1.29, naming each object and the version", () => {
  const objects = [withSidecar("Deployment", "shop"), withSidecar("CronJob", "shop--nightly"), plain];
  const refusal = nativeSidecarRefusal(objects, "v1.28.4");
  assert.equal(refusal?.code, "SLIPWAY_E_CLUSTER_REJECTED");
  assert.match(
    refusal?.message ?? "",
    /^Deployment\/shop-develop\/shop, CronJob\/shop-develop\/shop--nightly have native sidecars .* runs v1\.28\.4/,
  );
  assert.equal(nativeSidecarRefusal(objects, "v1.29.0"), undefined);
  assert.equal(nativeSidecarRefusal(objects, "v1.37.2+k3s1"), undefined);
  assert.equal(nativeSidecarRefusal([plain], "v1.27.0"), undefined);
  assert.equal(nativeSidecarRefusal(objects, "unknown"), undefined);
});
