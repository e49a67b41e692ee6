import assert from "node:assert/strict";
import { test } from "node:test";
import { isSlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import { APPLIED_HASH_ANNOTATION } from "./cluster.ts";
import { driftOf, intentHash, stampIntent } from "./intent.ts";

const scope = { app: "web", target: "staging" };
const deployment: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop", labels: { tier: "front" } },
  spec: {
    replicas: 2,
    template: { spec: { containers: [{ name: "app", image: "web:1", ports: [{ containerPort: 8080 }] }] } },
  },
};

/** What the server would hand back after applying `intent`: defaults added, Slipway's Apply entry. */
function asLive(intent: KubeObject): KubeObject {
  const live = structuredClone(intent) as KubeObject & {
    spec: { template: { spec: { containers: Record<string, unknown>[] } } };
  };
  live.metadata.resourceVersion = "42";
  live.metadata.managedFields = [{ manager: "slipway", operation: "Apply" }];
  const c = live.spec.template.spec.containers[0];
  if (c) c.imagePullPolicy = "IfNotPresent";
  return live;
}

test("stamping adds the scope labels and a hash of the intent", () => {
  const a = stampIntent(deployment, scope);
  assert.equal(a.metadata.labels?.["slipway.dev/target"], "staging");
  assert.equal(a.metadata.labels?.["slipway.dev/app"], "web");
  const hash = a.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
  assert.equal(
    stampIntent(structuredClone(deployment), scope).metadata.annotations?.[APPLIED_HASH_ANNOTATION],
    hash,
  );
  assert.equal(intentHash(a), hash, "the hash annotation itself is not hashed");
  const changed = stampIntent({ ...deployment, spec: { replicas: 3 } }, scope);
  assert.notEqual(changed.metadata.annotations?.[APPLIED_HASH_ANNOTATION], hash);
});

test("an object labelled for another target is refused, not silently relabelled", () => {
  const other = {
    ...deployment,
    metadata: { ...deployment.metadata, labels: { "slipway.dev/target": "stable" } },
  };
  assert.throws(
    () => stampIntent(other, scope),
    (e: unknown) => isSlipwayError(e) && e.message.includes("stable"),
  );
});

test("a live object with server defaults still matches its intent", () => {
  const intent = stampIntent(deployment, scope);
  assert.equal(driftOf(intent, asLive(intent)), undefined);
});

test("drift of an applied field is found, with its path", () => {
  const intent = stampIntent(deployment, scope);
  const live = asLive(intent) as KubeObject & { spec: { replicas: number } };
  live.spec.replicas = 5;
  assert.equal(driftOf(intent, live), "changed at .spec.replicas");
});

test("a changed intent, an object Slipway did not apply and a changed Secret value all count", () => {
  const intent = stampIntent(deployment, scope);
  const changed = stampIntent({ ...deployment, spec: { replicas: 3 } }, scope);
  assert.equal(driftOf(changed, asLive(intent)), "intent changed");
  const foreign = {
    ...asLive(intent),
    metadata: { ...asLive(intent).metadata, managedFields: [{ manager: "kubectl", operation: "Apply" }] },
  };
  assert.equal(driftOf(intent, foreign), "not applied by Slipway");
  const secret = stampIntent(
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s", namespace: "shop" },
      stringData: { token: "abc" },
    },
    scope,
  );
  const liveSecret = {
    ...secret,
    stringData: undefined,
    data: { token: Buffer.from("abc").toString("base64") },
    metadata: { ...secret.metadata, managedFields: [{ manager: "slipway", operation: "Apply" }] },
  };
  assert.equal(driftOf(secret, liveSecret as KubeObject), undefined);
  (liveSecret.data as Record<string, string>).token = Buffer.from("xyz").toString("base64");
  assert.equal(driftOf(secret, liveSecret as KubeObject), "changed at .stringData");
});

test("an empty list the server drops is not drift", () => {
  const policy = stampIntent(
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "p", namespace: "shop" },
      spec: { policyTypes: ["Ingress"], ingress: [] },
    },
    scope,
  );
  const spec = { policyTypes: ["Ingress"] };
  const live: KubeObject = { ...structuredClone(policy), spec };
  live.metadata.managedFields = [{ manager: "slipway", operation: "Apply" }];
  assert.equal(driftOf(policy, live), undefined);
  spec.policyTypes = [];
  assert.equal(driftOf(policy, live), "changed at .spec.policyTypes");
});

test("a Secret's applied hash reveals nothing of its values, and a changed value is still re-applied", () => {
  const scope = { app: "shop", target: "develop" };
  const secret = (password: string): KubeObject => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "db", namespace: "shop" },
    data: { password: Buffer.from(password).toString("base64") },
  });
  const a = stampIntent(secret("hunter2"), scope);
  const b = stampIntent(secret("letmein"), scope);
  assert.equal(
    a.metadata.annotations?.[APPLIED_HASH_ANNOTATION],
    b.metadata.annotations?.[APPLIED_HASH_ANNOTATION],
  );
  const live = {
    ...a,
    metadata: { ...a.metadata, managedFields: [{ manager: "slipway", operation: "Apply" }] },
  };
  assert.equal(driftOf(a, live), undefined);
  assert.equal(driftOf(b, live), "changed at .data");
});

test("an object read back from the cluster keeps the hash it was applied with, when asked", () => {
  const applied = stampIntent(deployment, scope);
  const hash = applied.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
  // Read back, the same intent has another key order, so another hash of its own.
  const readBack: KubeObject = {
    metadata: applied.metadata,
    spec: applied.spec,
    kind: "Deployment",
    apiVersion: "apps/v1",
  };
  assert.notEqual(stampIntent(readBack, scope).metadata.annotations?.[APPLIED_HASH_ANNOTATION], hash);
  assert.equal(stampIntent(readBack, scope, true).metadata.annotations?.[APPLIED_HASH_ANNOTATION], hash);
  assert.equal(driftOf(stampIntent(readBack, scope, true), asLive(applied)), undefined);
});
