import assert from "node:assert/strict";
import { test } from "node:test";
import { platformPolicySchema } from "./config.ts";

test("the platform's waiver allowlist cannot name a rule that is never waived", () => {
  const parsed = platformPolicySchema.safeParse({
    waivers: { maxDays: 30, allow: [{ rule: "read-only-root-filesystem" }, { rule: "run-as-non-root" }] },
  });
  assert.equal(parsed.success, false);
  const messages = parsed.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
  assert.equal(messages.length, 1, messages.join("\n"));
  assert.match(messages[0] ?? "", /^waivers\.allow\.1\.rule: run-as-non-root cannot be waived/);
});

test("allowed capabilities are capability names; a waiver's lifetime is at most a year", () => {
  assert.equal(
    platformPolicySchema.safeParse({ allowedCapabilities: ["NET_BIND_SERVICE", "CHOWN"] }).success,
    true,
  );
  assert.equal(platformPolicySchema.safeParse({ allowedCapabilities: ["net admin"] }).success, false);
  assert.equal(platformPolicySchema.safeParse({ waivers: { maxDays: 9999 } }).success, false);
});
