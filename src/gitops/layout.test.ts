import assert from "node:assert/strict";
import { test } from "node:test";
import { fileNamesFor, objectFileName, scopeDir } from "./layout.ts";

test("each app has its own directory under its target", () => {
  assert.equal(scopeDir({ app: "shop", target: "stable" }), "stable/shop");
  assert.throws(
    () => scopeDir({ app: "../etc", target: "stable" }),
    /app "\.\.\/etc" cannot name a GitOps directory/,
  );
  assert.throws(() => scopeDir({ app: "shop", target: "Stable" }), /DNS label/);
});

test("file names are the kind and the name, DNS-safe", () => {
  const named = (kind: string, name: string) =>
    objectFileName({ apiVersion: "v1", kind, metadata: { name } });
  assert.equal(named("Deployment", "web"), "deployment-web.yaml");
  assert.equal(named("HorizontalPodAutoscaler", "web"), "horizontalpodautoscaler-web.yaml");
  assert.equal(named("ClusterRole", "system:shop.reader"), "clusterrole-system-shop.reader.yaml");
});

test("two objects that would share a file are refused", () => {
  const role = (name: string) => ({ apiVersion: "v1", kind: "Role", metadata: { name } });
  assert.throws(
    () => fileNamesFor([role("a:b"), role("a-b")]),
    /Role\/a:b and Role\/a-b would both be written to role-a-b\.yaml/,
  );
});
