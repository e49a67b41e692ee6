import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode, exitCodeFor, httpStatusFor } from "../core/errors.ts";
import { changed, firstContainer, goodApp } from "./fixtures.ts";
import { policyBlocked, policyGate } from "./gate.ts";

const platform = {
  clusters: [{ name: "prod" }],
  channels: [
    { name: "develop", cluster: "prod" },
    { name: "stable", cluster: "prod", production: true },
  ],
};
const privileged = goodApp().map((o) =>
  o.kind === "Deployment"
    ? changed(o, (d) => {
        (firstContainer(d).securityContext as { privileged?: boolean }).privileged = true;
      })
    : o,
);

test("the gate passes a clean app and blocks an enforced finding on a production channel only", () => {
  const today = "2026-11-23";
  assert.equal(
    policyGate({ objects: goodApp(), platform, target: { kind: "channel", name: "stable" }, today }).passed,
    true,
  );
  const stable = policyGate({
    objects: privileged,
    platform,
    target: { kind: "channel", name: "stable" },
    today,
  });
  assert.equal(stable.passed, false);
  const develop = policyGate({
    objects: privileged,
    platform,
    target: { kind: "channel", name: "develop" },
    today,
  });
  assert.equal(develop.passed, true, "develop warns by default");
  assert.equal(develop.counts.error, 1);
});

test("a blocked verdict becomes SLIPWAY_E_POLICY_BLOCKED (exit 1, HTTP 422) naming each finding", () => {
  const verdict = policyGate({
    objects: privileged,
    platform,
    target: { kind: "channel", name: "stable" },
    today: "2026-11-23",
  });
  const error = policyBlocked(verdict, "stable");
  assert.equal(error.code, ErrorCode.PolicyBlocked);
  assert.equal(exitCodeFor(error.code), 1);
  assert.equal(httpStatusFor(error.code), 422);
  assert.match(
    error.message,
    /Deployment\/shop\/web spec\.template\.spec\.containers\[0\]\.securityContext\.privileged: container "app" is privileged \[no-privileged\]/,
  );
});
