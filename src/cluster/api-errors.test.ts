import assert from "node:assert/strict";
import { test } from "node:test";
import { apiError } from "./api-errors.ts";

test("403 names the verb, resource and namespace to grant", () => {
  const body = JSON.stringify({
    kind: "Status",
    reason: "Forbidden",
    message:
      'deployments.apps "web" is forbidden: User "ci" cannot patch resource "deployments" in API group "apps" in the namespace "shop"',
  });
  const e = apiError(403, body, {
    verb: "patch",
    resource: "deployments.apps",
    namespace: "shop",
    name: "web",
  });
  assert.equal(e.code, "SLIPWAY_E_FORBIDDEN");
  assert.match(e.message, /may not patch deployments\.apps "web" in namespace "shop"/);
  assert.match(e.message, /Grant the verb "patch" on "deployments\.apps" in namespace "shop"/);
});

test("409 names the other field manager and the fields it owns", () => {
  const body = JSON.stringify({
    kind: "Status",
    reason: "Conflict",
    message: "Apply failed with 1 conflict",
    details: {
      causes: [
        {
          reason: "FieldManagerConflict",
          message: 'conflict with "kubectl-edit" using apps/v1',
          field: ".spec.replicas",
        },
      ],
    },
  });
  const e = apiError(409, body, { verb: "patch", resource: "deployments.apps", ref: "Deployment/shop/web" });
  assert.equal(e.code, "SLIPWAY_E_CONFLICT");
  assert.match(e.message, /Deployment\/shop\/web .*"kubectl-edit" owns \.spec\.replicas/);
  assert.match(e.message, /--force-conflicts/);
});

test("422 lists the causes", () => {
  const body = JSON.stringify({
    kind: "Status",
    reason: "Invalid",
    message: 'Deployment.apps "web" is invalid',
    details: {
      causes: [{ reason: "FieldValueInvalid", message: "Invalid value: -1", field: "spec.replicas" }],
    },
  });
  const e = apiError(422, body, { verb: "patch", resource: "deployments.apps", ref: "Deployment/shop/web" });
  assert.match(e.message, /spec\.replicas: Invalid value: -1/);
});
