import assert from "node:assert/strict";
import { test } from "node:test";
import { appPolicySchema } from "./config.ts";
import type { Finding } from "./types.ts";
import { decide } from "./verdict.ts";

const privileged: Finding = {
  ruleId: "no-privileged",
  severity: "error",
  object: "Deployment/shop/web",
  path: "spec.template.spec.containers[0].securityContext.privileged",
  message: 'container "app" is privileged',
  hint: "Remove securityContext.privileged",
};
const noDigest: Finding = {
  ...privileged,
  ruleId: "image-digest",
  severity: "warning",
  message: "not pinned",
};

test("enforce blocks on an error finding; warn reports it and passes", () => {
  const enforced = decide([privileged, noDigest], { mode: "enforce", today: "2026-11-23" });
  assert.equal(enforced.passed, false);
  assert.deepEqual(enforced.blocking, [privileged]);
  assert.deepEqual(enforced.counts, { error: 1, warning: 1, info: 0, waived: 0 });
  const warned = decide([privileged, noDigest], { mode: "warn", today: "2026-11-23" });
  assert.equal(warned.passed, true);
  assert.deepEqual(warned.blocking, []);
});

test("a waiver stops an enforced finding from blocking until its expiry day, inclusive", () => {
  const waivers = [{ rule: "no-privileged", reason: "the CNI agent needs it", expires: "2026-11-30" }];
  const onLastDay = decide([privileged], { mode: "enforce", waivers, today: "2026-11-30" });
  assert.equal(onLastDay.passed, true);
  assert.equal(onLastDay.counts.waived, 1);
  assert.deepEqual(onLastDay.findings[0]?.waived, {
    reason: "the CNI agent needs it",
    expires: "2026-11-30",
  });
});

test("an expired waiver stops waiving and says so on the finding it no longer covers", () => {
  const waivers = [{ rule: "no-privileged", reason: "the CNI agent needs it", expires: "2026-11-22" }];
  const verdict = decide([privileged], { mode: "enforce", waivers, today: "2026-11-23" });
  assert.equal(verdict.passed, false);
  assert.deepEqual(verdict.expiredWaivers, waivers);
  assert.deepEqual(verdict.blocking[0]?.expiredWaiver, {
    reason: "the CNI agent needs it",
    expires: "2026-11-22",
  });
});

test("a waiver scoped to an object leaves the same rule enforced on other objects", () => {
  const other = { ...privileged, object: "Deployment/shop/api" };
  const waivers = [
    {
      rule: "no-privileged",
      reason: "the CNI agent needs it",
      expires: "2099-01-01",
      object: "Deployment/web",
    },
  ];
  const verdict = decide([privileged, other], { mode: "enforce", waivers, today: "2026-11-23" });
  assert.deepEqual(
    verdict.blocking.map((f) => f.object),
    ["Deployment/shop/api"],
  );
});

test("waivers in slipway.yaml are validated: a waiver without a reason or with a bad date is refused", () => {
  const bad = appPolicySchema.safeParse({
    waivers: [{ rule: "no-privileged", reason: "x", expires: "soon" }],
  });
  assert.equal(bad.success, false);
  const messages = bad.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
  assert.ok(
    messages.includes("waivers.0.reason: explain in a sentence why the rule is waived"),
    messages.join("\n"),
  );
  assert.ok(messages.includes("waivers.0.expires: must be a date such as 2027-03-31"), messages.join("\n"));
});
