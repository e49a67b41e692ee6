/**
 * Rules of the API server that `validate` now enforces itself, each found by the server-side dry
 * run property test (test/render-dry-run-property.test.ts): refused at its line, not at deploy.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Problem, SlipwayError } from "../core/errors.ts";
import { defaultPlatform, parseAppSpec } from "./parse.ts";

const HEAD = `apiVersion: slipway.dev/v1
kind: App
name: cart
team: t
image: { repository: registry.example.com/cart, tag: "1" }
`;

function problems(body: string): Problem[] {
  try {
    parseAppSpec(HEAD + body, "slipway.yaml", defaultPlatform());
  } catch (error) {
    assert.ok(error instanceof SlipwayError);
    return [...error.problems];
  }
  assert.fail("expected a refusal");
}

test("an annotation key the API server refuses is refused at its line", () => {
  const [p] = problems("annotations:\n  bad key: x\n");
  assert.equal(p?.path, "annotations.bad key");
  assert.equal(p?.line, 7);
  assert.match(p?.message ?? "", /valid annotation key/);
  parseAppSpec(`${HEAD}annotations: { example.com/owner: x, note: y }\n`, "slipway.yaml", defaultPlatform());
});

test("maxSurge 0 with maxUnavailable 0 (its default) is refused; Recreate and a surge are fine", () => {
  const [p] = problems("rollout: { maxSurge: 0 }\n");
  assert.equal(p?.path, "rollout.maxSurge");
  assert.match(p?.message ?? "", /may not both be 0/);
  assert.equal(problems('rollout: { maxSurge: "0%", maxUnavailable: 0 }\n')[0]?.path, "rollout.maxSurge");
  for (const ok of ["rollout: { maxSurge: 0, maxUnavailable: 1 }\n", "rollout: { maxSurge: 1 }\n"])
    parseAppSpec(HEAD + ok, "slipway.yaml", defaultPlatform());
});

test("two secrets of one name are refused at the second", () => {
  const [p] = problems(
    "secrets:\n  - { name: app, file: a.enc.yaml }\n  - { name: app, file: b.enc.yaml, mountPath: /etc/b }\n",
  );
  assert.equal(p?.path, "secrets[1].name");
  assert.equal(p?.line, 8);
  assert.match(p?.message ?? "", /already secrets\[0\]/);
});
