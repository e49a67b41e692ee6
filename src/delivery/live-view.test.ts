import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../core/kube-object.ts";
import { changeDiff } from "./change-diff.ts";
import { liveView } from "./live-view.ts";

const rendered: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop", labels: { app: "web" } },
  spec: { replicas: 3, template: { spec: { containers: [{ name: "web", image: "r/web@sha256:new" }] } } },
};

const live: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {
    name: "web",
    namespace: "shop",
    labels: { app: "web" },
    uid: "0b9d",
    resourceVersion: "4711",
    managedFields: [{ manager: "slipway" }],
  },
  spec: {
    replicas: 3,
    progressDeadlineSeconds: 600,
    template: {
      spec: {
        dnsPolicy: "ClusterFirst",
        containers: [
          { name: "web", image: "r/web@sha256:old", terminationMessagePath: "/dev/termination-log" },
        ],
      },
    },
  },
  status: { availableReplicas: 3 },
};

test("a cluster diff shows the changed image, not what the API server added", () => {
  const text = changeDiff(
    liveView({ ref: "Deployment/shop/web", action: "update", before: live, after: rendered }),
  );
  assert.match(text, /^- {8}- image: r\/web@sha256:old\n\+ {8}- image: r\/web@sha256:new$/m);
  assert.equal(text.split("\n").filter((l) => /^[-+] /.test(l)).length, 2, text);
  assert.doesNotMatch(text, /dnsPolicy|managedFields|availableReplicas|resourceVersion/);
});

test("a GitOps file is shown whole: a field the render dropped reads as removed", () => {
  const file: KubeObject = { ...rendered, spec: { ...(rendered.spec as object), paused: false } };
  const text = changeDiff(
    liveView({ ref: "Deployment/shop/web", action: "update", before: file, after: rendered }),
  );
  assert.match(text, /^- {2}paused: false$/m);
});

test("a live object to be pruned is shown without server bookkeeping", () => {
  const text = changeDiff(liveView({ ref: "Deployment/shop/web", action: "delete", before: live }));
  assert.match(text, /^\+\+\+ \/dev\/null$/m);
  assert.match(text, /^- {2}progressDeadlineSeconds: 600$/m);
  assert.doesNotMatch(text, /managedFields|availableReplicas|resourceVersion|uid/);
});

test("bookkeeping annotations are left out of both sides", () => {
  const stamp = (o: KubeObject, hash: string): KubeObject => ({
    ...o,
    metadata: { ...o.metadata, annotations: { "x/hash": hash, "x/keep": "1" } },
  });
  const view = liveView(
    {
      ref: "Deployment/shop/web",
      action: "update",
      before: stamp(live, "old"),
      after: stamp(rendered, "new"),
    },
    { hideAnnotations: ["x/hash"] },
  );
  assert.deepEqual(view.before?.metadata.annotations, { "x/keep": "1" });
  assert.deepEqual(view.after?.metadata.annotations, { "x/keep": "1" });
  assert.doesNotMatch(changeDiff(view), /x\/hash/);
});
