import assert from "node:assert/strict";
import { test } from "node:test";
import { isSlipwayError } from "../../core/errors.ts";
import { parseFieldPath, resolvePath } from "./field-path.ts";

test("paths expand [*] per element and keep quoted keys, reporting missing leaves", () => {
  const obj = {
    spec: { containers: [{ image: "a" }, {}] },
    metadata: { annotations: { "acme.com/owner": "x" } },
  };
  assert.deepEqual(resolvePath(obj, parseFieldPath("spec.containers[*].image")), [
    { path: "spec.containers[0].image", value: "a" },
    { path: "spec.containers[1].image", value: undefined },
  ]);
  assert.deepEqual(resolvePath(obj, parseFieldPath('metadata.annotations["acme.com/owner"]')), [
    { path: 'metadata.annotations["acme.com/owner"]', value: "x" },
  ]);
});

test("a malformed path is an input error naming the path", () => {
  assert.throws(
    () => parseFieldPath("spec.containers[x]"),
    (e) => isSlipwayError(e) && e.message.includes('"spec.containers[x]"'),
  );
});
