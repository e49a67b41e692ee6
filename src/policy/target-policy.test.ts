import assert from "node:assert/strict";
import { test } from "node:test";
import { policyForTarget } from "./target-policy.ts";

const platform = {
  clusters: [{ name: "prod", kubernetesVersion: "1.36" }, { name: "dev" }],
  channels: [
    { name: "develop", cluster: "dev" },
    { name: "staging", cluster: "dev", policy: { mode: "enforce" as const } },
    { name: "stable", cluster: "prod", production: true },
  ],
  previews: { policy: { mode: "warn" as const } },
  policy: {
    requiredLabels: ["team"],
    disabled: ["image-digest"],
    waivers: { allow: [{ rule: "no-host-path", apps: ["logs"], channels: ["stable", "preview"] }] },
  },
};
const app = {
  name: "logs",
  policy: {
    waivers: [{ rule: "no-host-path", reason: "log shipper reads /var/log", expires: "2027-01-01" }],
  },
};

test("a production channel enforces by default and judges against its cluster's Kubernetes version", () => {
  const p = policyForTarget(platform, { kind: "channel", name: "stable" }, app);
  assert.ok(!("unknownChannel" in p));
  assert.equal(p.mode, "enforce");
  assert.deepEqual(p.context, {
    channel: "stable",
    production: true,
    requiredLabels: ["team"],
    allowedCapabilities: ["NET_BIND_SERVICE"],
    kubernetesVersion: "1.36",
  });
  assert.deepEqual(p.disabled, ["image-digest"]);
  assert.equal(p.waivers.length, 1);
});

test("non-production channels warn unless the platform says enforce; previews take the previews block", () => {
  const develop = policyForTarget(platform, { kind: "channel", name: "develop" }, app);
  const staging = policyForTarget(platform, { kind: "channel", name: "staging" }, app);
  const preview = policyForTarget(platform, { kind: "preview", name: "preview-feat-x" }, app);
  assert.ok(
    !("unknownChannel" in develop) && !("unknownChannel" in staging) && !("unknownChannel" in preview),
  );
  assert.equal(develop.mode, "warn");
  assert.equal(staging.mode, "enforce");
  assert.equal(preview.mode, "warn");
  assert.equal(preview.context.production, false);
});

test("flags override the platform; an unknown channel is reported with the known ones", () => {
  const forced = policyForTarget(platform, { kind: "channel", name: "stable" }, undefined, { mode: "warn" });
  assert.ok(!("unknownChannel" in forced));
  assert.equal(forced.mode, "warn");
  assert.deepEqual(policyForTarget(platform, { kind: "channel", name: "prod" }, undefined), {
    unknownChannel: "prod",
    known: ["develop", "staging", "stable"],
  });
});

test("a waiver applies only for the apps and channels the platform's allowlist names", () => {
  const refusedFor = (
    a: { name: string; policy: typeof app.policy },
    target: { kind: "channel" | "preview"; name: string },
  ) => {
    const p = policyForTarget(platform, target, a);
    assert.ok(!("unknownChannel" in p));
    return p.refusedWaivers.map((r) => r.reason);
  };
  assert.deepEqual(refusedFor(app, { kind: "channel", name: "stable" }), []);
  assert.deepEqual(refusedFor(app, { kind: "preview", name: "logs-pr-7" }), []);
  assert.match(
    refusedFor(app, { kind: "channel", name: "staging" })[0] ?? "",
    /does not allow waiving no-host-path for app logs on staging/,
  );
  assert.match(
    refusedFor({ ...app, name: "shop" }, { kind: "channel", name: "stable" })[0] ?? "",
    /for app shop on stable/,
  );
  const noAllowlist = policyForTarget({ ...platform, policy: {} }, { kind: "channel", name: "stable" }, app);
  assert.ok(!("unknownChannel" in noAllowlist));
  assert.deepEqual(noAllowlist.waivers, []);
});
