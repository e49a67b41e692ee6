import assert from "node:assert/strict";
import { test } from "node:test";
import { schemaProblems } from "./k8s-schema.ts";

test("an object its kind's schema rejects is reported as problems naming the field, not thrown", () => {
  const service = { apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "shop" } };
  assert.deepEqual(schemaProblems({ ...service, spec: { ports: [{ port: 80 }] } }), []);
  assert.deepEqual(schemaProblems({ ...service, spec: { ports: [{ port: "eighty" }] } }), [
    "Service/shop/web: /spec/ports/0/port must be integer",
  ]);
});

test("each kind's schema is loaded when first met: an HTTPRoute validates like the core kinds", () => {
  const route = {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: "web", namespace: "shop" },
    spec: { parentRefs: [{ name: "edge" }], rules: [{ backendRefs: [{ name: "web", port: 80 }] }] },
  };
  assert.deepEqual(schemaProblems(route), []);
  assert.deepEqual(schemaProblems({ ...route, spec: { parentRefs: "edge" } }), [
    "HTTPRoute/shop/web: /spec/parentRefs must be array",
  ]);
  assert.match(
    schemaProblems({ apiVersion: "v9", kind: "Nope", metadata: { name: "x" } })[0] ?? "",
    /no schema known/,
  );
});
