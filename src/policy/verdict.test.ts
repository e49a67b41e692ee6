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
const writable: Finding = {
  ...privileged,
  ruleId: "read-only-root-filesystem",
  path: "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem",
  message: 'container "app" can write to its root filesystem',
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
  const waivers = [
    {
      rule: "read-only-root-filesystem",
      reason: "the legacy runtime writes its sessions",
      expires: "2026-11-30",
    },
  ];
  const onLastDay = decide([writable], { mode: "enforce", waivers, today: "2026-11-30" });
  assert.equal(onLastDay.passed, true);
  assert.equal(onLastDay.counts.waived, 1);
  assert.deepEqual(onLastDay.findings[0]?.waived, {
    reason: "the legacy runtime writes its sessions",
    expires: "2026-11-30",
  });
});

test("an expired waiver stops waiving and says so on the finding it no longer covers", () => {
  const waivers = [
    {
      rule: "read-only-root-filesystem",
      reason: "the legacy runtime writes its sessions",
      expires: "2026-11-22",
    },
  ];
  const verdict = decide([writable], { mode: "enforce", waivers, today: "2026-11-23" });
  assert.equal(verdict.passed, false);
  assert.deepEqual(verdict.expiredWaivers, waivers);
  assert.deepEqual(verdict.blocking[0]?.expiredWaiver, {
    reason: "the legacy runtime writes its sessions",
    expires: "2026-11-22",
  });
});

test("a waiver scoped to an object leaves the same rule enforced on other objects", () => {
  const other = { ...writable, object: "Deployment/shop/api" };
  const waivers = [
    {
      rule: "read-only-root-filesystem",
      reason: "the legacy runtime writes its sessions",
      expires: "2026-12-31",
      object: "Deployment/web",
    },
  ];
  const verdict = decide([writable, other], { mode: "enforce", waivers, today: "2026-11-23" });
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

test("a waiver of a rule that keeps a container off its node waives nothing, and says why", () => {
  const waivers = [{ rule: "no-privileged", reason: "the CNI agent needs it", expires: "2026-11-30" }];
  const verdict = decide([privileged], { mode: "enforce", waivers, today: "2026-11-23" });
  assert.equal(verdict.passed, false);
  assert.equal(verdict.counts.waived, 0);
  assert.match(verdict.blocking[0]?.refusedWaiver?.refused ?? "", /no-privileged cannot be waived/);
  assert.deepEqual(
    verdict.refusedWaivers.map((r) => r.waiver.rule),
    ["no-privileged"],
  );
});

test("a waiver may expire at most maxWaiverDays ahead (default 90); one that runs longer waives nothing", () => {
  const waiver = (expires: string) => [
    { rule: "read-only-root-filesystem", reason: "the legacy runtime writes its sessions", expires },
  ];
  const today = "2026-11-23";
  assert.equal(decide([writable], { mode: "enforce", waivers: waiver("2027-02-21"), today }).passed, true);
  const tooLong = decide([writable], { mode: "enforce", waivers: waiver("9999-12-31"), today });
  assert.equal(tooLong.passed, false);
  assert.match(
    tooLong.refusedWaivers[0]?.reason ?? "",
    /more than 90 days ahead \(latest allowed: 2027-02-21\)/,
  );
  const shorter = decide([writable], {
    mode: "enforce",
    waivers: waiver("2027-01-01"),
    maxWaiverDays: 30,
    today,
  });
  assert.equal(shorter.passed, false);
});
