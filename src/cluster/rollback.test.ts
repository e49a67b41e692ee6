import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import { NotRolledBack, notRolledBack, previousRevision, rollbackReport, rolledBack } from "./rollback.ts";

const captured = (name: string): KubeObject =>
  JSON.parse(readFileSync(join(import.meta.dirname, "testdata/managed-fields", `${name}.json`), "utf8"));

test("the previous revision is the scope's objects as Slipway applied them, nothing of other scopes or owners", () => {
  const deployment = captured("deployment");
  const otherApp = { ...captured("service"), metadata: { ...captured("service").metadata, labels: {} } };
  const notApplied = {
    ...captured("configmap"),
    metadata: {
      ...captured("configmap").metadata,
      managedFields: [{ manager: "kubectl", operation: "Apply" }],
    },
  };
  const previous = previousRevision([deployment, otherApp, notApplied], { app: "web", target: "stable" });
  assert.deepEqual(
    previous.map((o) => `${o.kind}/${o.metadata.name}`),
    ["Deployment/web"],
  );
  assert.equal(previous[0]?.status, undefined);
  assert.deepEqual(previousRevision([deployment], { app: "web", target: "staging" }), []);
});

const failure = new SlipwayError(ErrorCode.RolloutFailed, "rollout of Deployment/shop/web failed (X: y)", {
  details: { ref: "Deployment/shop/web", reason: "X", message: "y", pods: [] },
});
const scope = { app: "web", target: "stable" };

test("a rollback reads as the original failure, then what was restored and what was removed", () => {
  const report = rollbackReport([
    { ref: "Deployment/shop/web", action: "update" },
    { ref: "Service/shop/web", action: "unchanged" },
    { ref: "ConfigMap/shop/web-extra", action: "delete" },
  ]);
  const e = rolledBack(failure, scope, report);
  assert.equal(e.code, "SLIPWAY_E_ROLLOUT_FAILED");
  assert.equal(
    e.message,
    "rollout of Deployment/shop/web failed (X: y)\n" +
      "Rolled back to the previously applied revision of web in stable: restored Deployment/shop/web; " +
      "removed ConfigMap/shop/web-extra (added by the failed revision).",
  );
  assert.deepEqual(e.details, {
    ref: "Deployment/shop/web",
    reason: "X",
    message: "y",
    pods: [],
    rolledBack: true,
    rollback: {
      restored: ["Deployment/shop/web"],
      removed: ["ConfigMap/shop/web-extra"],
      handedBack: [],
      kept: [],
    },
  });
});

test("objects the failed revision took over are named as handed back, or kept when it forced them", () => {
  const report = {
    ...rollbackReport([{ ref: "Deployment/shop/web", action: "update" }]),
    handedBack: ["Secret/shop/db"],
    kept: ["ConfigMap/shop/shared"],
  };
  assert.equal(
    rolledBack(failure, scope, report).message,
    "rollout of Deployment/shop/web failed (X: y)\n" +
      "Rolled back to the previously applied revision of web in stable: restored Deployment/shop/web; " +
      "handed back Secret/shop/db (there before the failed revision; Slipway's fields given up); " +
      "left ConfigMap/shop/shared as the failed revision made them (taken over with --force-conflicts; not Slipway's to delete).",
  );
});

test("a first deploy has nothing to go back to, and says so", () => {
  const e = notRolledBack(failure, scope, NotRolledBack.FirstDeploy);
  assert.match(
    e.message,
    /\nNot rolled back: there is no previous revision of web in stable .*left as they are\.$/,
  );
  assert.equal(e.details.rolledBack, false);
  assert.equal(e.details.rollbackSkipped, "no previous revision");
});

test("the previous revision puts back values other managers owned that the failed revision took over", () => {
  const before: KubeObject = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "web",
      namespace: "shop",
      labels: { "slipway.dev/app": "web", "slipway.dev/target": "stable" },
      annotations: { "deployment.kubernetes.io/revision": "2" },
      managedFields: [
        {
          manager: "slipway",
          operation: "Apply",
          fieldsType: "FieldsV1",
          fieldsV1: {
            "f:metadata": { "f:labels": { "f:slipway.dev/app": {}, "f:slipway.dev/target": {} } },
            "f:spec": { "f:template": { "f:spec": { "f:serviceAccountName": {} } } },
          },
        },
        {
          manager: "kubectl",
          operation: "Update",
          subresource: "scale",
          fieldsV1: { "f:spec": { "f:replicas": {} } },
        },
        {
          manager: "kube-controller-manager",
          operation: "Update",
          fieldsV1: { "f:metadata": { "f:annotations": { "f:deployment.kubernetes.io/revision": {} } } },
        },
      ],
    },
    spec: { replicas: 3, template: { spec: { serviceAccountName: "web" } } },
  };
  const failed: KubeObject = {
    ...before,
    metadata: { name: "web", namespace: "shop" },
    spec: { replicas: 2 },
  };
  const [previous] = previousRevision([before], { app: "web", target: "stable" }, [failed]);
  assert.deepEqual(previous?.spec, { replicas: 3, template: { spec: { serviceAccountName: "web" } } });
  assert.equal(previous?.metadata.annotations, undefined, "another manager's metadata is not taken");
  const [untouched] = previousRevision([before], { app: "web", target: "stable" });
  assert.deepEqual(untouched?.spec, { template: { spec: { serviceAccountName: "web" } } });
});
