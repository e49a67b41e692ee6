import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePlatform } from "../spec/parse.ts";
import {
  channelGates,
  evaluateGates,
  formatWait,
  type GateFacts,
  type GateResult,
  overallState,
} from "./gates.ts";
import type { ChannelHealth, WorkloadHealth } from "./live-health.ts";

const now = new Date("2026-03-04T10:30:00Z"); // a Wednesday
const facts = (over: Partial<GateFacts> = {}): GateFacts => ({
  now,
  from: "staging",
  to: "stable",
  team: "payments",
  release: { id: "rel_1", createdBy: "alice" },
  live: {
    id: "dep_9",
    status: "available",
    availableAt: "2026-03-04T10:00:00Z",
    updatedAt: "2026-03-04T10:00:00Z",
  },
  history: [],
  approvals: [],
  policy: { passed: true, blocking: [] },
  lineStop: null,
  ...over,
});
const gate = (results: GateResult[], name: string) => results.find((r) => r.gate === name);

test("defaults: the line, health and policy; nothing waits", () => {
  const results = evaluateGates(channelGates({}), facts());
  assert.deepEqual(
    results.map((r) => [r.gate, r.state]),
    [
      ["line", "pass"],
      ["health", "pass"],
      ["policy", "pass"],
    ],
  );
  assert.equal(overallState(results), "pass");
});

test("soak: waiting with the time left, passing once long enough, failing after a failed rollout", () => {
  const gates = channelGates({ gates: { soak: "1h" } });
  const early = gate(evaluateGates(gates, facts()), "soak")!;
  assert.equal(early.state, "waiting");
  assert.equal(early.waitSeconds, 30 * 60);
  assert.match(early.reason, /available in staging for 30m of 1h; 30m left/);
  const later = gate(evaluateGates(gates, facts({ now: new Date("2026-03-04T11:00:00Z") })), "soak")!;
  assert.equal(later.state, "pass");
  const failed = evaluateGates(
    gates,
    facts({
      history: [
        { id: "dep_3", status: "failed", availableAt: null, updatedAt: "2026-03-03T09:00:00Z" },
        {
          id: "dep_9",
          status: "available",
          availableAt: "2026-03-01T10:00:00Z",
          updatedAt: "2026-03-01T10:00:00Z",
        },
      ],
    }),
  );
  assert.equal(gate(failed, "soak")!.state, "fail");
  assert.match(gate(failed, "soak")!.reason, /failed its rollout in staging \(dep_3/);
  assert.equal(overallState(failed), "fail");
});

test("approvals: counted from others than the creator; a rejection fails with its reason", () => {
  const gates = channelGates({ gates: { approvals: 2 } });
  const one = gate(
    evaluateGates(
      gates,
      facts({
        approvals: [
          { by: "bob", decision: "approved", reason: null, at: "2026-03-04T10:10:00Z" },
          { by: "alice", decision: "approved", reason: null, at: "2026-03-04T10:11:00Z" },
        ],
      }),
    ),
    "approvals",
  )!;
  assert.equal(one.state, "waiting");
  assert.equal(one.waitSeconds, null);
  assert.match(
    one.reason,
    /1 of 2 approvals for stable \(bob\); needs 1 more from a releaser of team payments other than alice/,
  );
  const two = facts({
    approvals: [
      { by: "bob", decision: "approved", reason: null, at: "2026-03-04T10:10:00Z" },
      { by: "carol", decision: "approved", reason: null, at: "2026-03-04T10:12:00Z" },
    ],
  });
  assert.equal(gate(evaluateGates(gates, two), "approvals")!.state, "pass");
  const rejected = gate(
    evaluateGates(
      gates,
      facts({
        approvals: [
          ...two.approvals,
          { by: "dave", decision: "rejected", reason: "load test pending", at: "2026-03-04T10:20:00Z" },
        ],
      }),
    ),
    "approvals",
  )!;
  assert.equal(rejected.state, "fail");
  assert.match(rejected.reason, /rejected for stable by dave .*: load test pending/);
});

test("approvals: one from someone who may no longer approve does not count, and the reason says so", () => {
  const gates = channelGates({ gates: { approvals: 1 } });
  const lapsed = gate(
    evaluateGates(
      gates,
      facts({
        approvals: [
          { by: "bob", decision: "approved", reason: null, at: "2026-03-04T10:10:00Z", lapsed: true },
        ],
      }),
    ),
    "approvals",
  )!;
  assert.equal(lapsed.state, "waiting");
  assert.match(
    lapsed.reason,
    /0 of 1 approval for stable; needs 1 more .*; bob approved but no longer is a releaser of team payments/,
  );
});

test("windows: open inside, waiting outside with minutes to the next opening, across midnight and zones", () => {
  const weekdays = channelGates({
    gates: { windows: [{ days: ["mon", "tue", "wed", "thu"], from: "09:00", to: "16:00" }] },
  });
  assert.equal(gate(evaluateGates(weekdays, facts()), "window")!.state, "pass");
  // Wednesday 17:00 UTC: next opening Thursday 09:00, 16 hours later.
  const evening = gate(evaluateGates(weekdays, facts({ now: new Date("2026-03-04T17:00:00Z") })), "window")!;
  assert.equal(evening.state, "waiting");
  assert.equal(evening.waitSeconds, 16 * 3600);
  // Thursday 17:00: next is Monday 09:00 (3 days 16 hours).
  const thursday = gate(evaluateGates(weekdays, facts({ now: new Date("2026-03-05T17:00:00Z") })), "window")!;
  assert.equal(thursday.waitSeconds, (3 * 24 + 16) * 3600);
  assert.match(thursday.reason, /next opens in 3d 16h/);
  // A night window 22:00-02:00 is open at 01:00 the next day.
  const night = channelGates({ gates: { windows: [{ days: ["wed"], from: "22:00", to: "02:00" }] } });
  assert.equal(
    gate(evaluateGates(night, facts({ now: new Date("2026-03-05T01:00:00Z") })), "window")!.state,
    "pass",
  );
  assert.equal(
    gate(evaluateGates(night, facts({ now: new Date("2026-03-05T02:00:00Z") })), "window")!.state,
    "waiting",
  );
  // 10:30 UTC is 19:30 in Tokyo: outside 09:00-17:00 there; opens 13.5 h later.
  const tokyo = channelGates({
    gates: { windows: [{ from: "09:00", to: "17:00", timeZone: "Asia/Tokyo" }] },
  });
  assert.equal(gate(evaluateGates(tokyo, facts()), "window")!.waitSeconds, 13.5 * 3600);
});

test("freezes wait until they end; the line stop fails until lifted; health fails without a live deployment", () => {
  const frozen = channelGates({
    gates: {
      freezes: [{ from: "2026-03-04T00:00:00Z", to: "2026-03-05T00:00:00Z", reason: "quarter close" }],
    },
  });
  const f = gate(evaluateGates(frozen, facts()), "freeze")!;
  assert.equal(f.state, "waiting");
  assert.equal(f.waitSeconds, 13.5 * 3600);
  assert.match(f.reason, /quarter close/);
  const stopped = evaluateGates(
    channelGates({}),
    facts({ lineStop: { reason: "incident 42", stoppedBy: "ops", stoppedAt: "2026-03-04T09:00:00Z" } }),
  );
  assert.equal(gate(stopped, "line")!.state, "fail");
  assert.match(gate(stopped, "line")!.reason, /stopped .* by ops .*: incident 42/);
  const absent = evaluateGates(channelGates({}), facts({ live: undefined }));
  assert.equal(gate(absent, "health")!.state, "fail");
});

test("policy: blocking findings fail with the first three named", () => {
  const blocking = ["a", "b", "c", "d"].map((x) => ({
    ruleId: `rule-${x}`,
    object: `Deployment/${x}`,
    message: "no",
  }));
  const p = gate(evaluateGates(channelGates({}), facts({ policy: { passed: false, blocking } })), "policy")!;
  assert.equal(p.state, "fail");
  assert.match(
    p.reason,
    /^4 findings would block stable in enforce mode: Deployment\/a: no \[rule-a\].*and 1 more$/,
  );
  const off = evaluateGates(
    channelGates({ gates: { policy: false } }),
    facts({ policy: { passed: false, blocking } }),
  );
  assert.equal(gate(off, "policy"), undefined);
});

test("waits read as people say them", () => {
  assert.equal(formatWait(42), "42s");
  assert.equal(formatWait(3900), "1h 5m");
  assert.equal(formatWait(2 * 86400 + 3600 * 3 + 60), "2d 3h");
});

const workload = (over: Partial<WorkloadHealth> = {}): WorkloadHealth => ({
  kind: "Deployment",
  name: "checkout",
  release: "rel_1",
  desired: 3,
  ready: 3,
  available: 3,
  restarts: [],
  ...over,
});
const live = (...workloads: WorkloadHealth[]): ChannelHealth => ({
  source: "live",
  where: "cluster east, namespace checkout-staging",
  workloads,
});

test("health, live: passes with every workload available, naming them", () => {
  const result = gate(evaluateGates(channelGates({}), facts({ health: live(workload()) })), "health")!;
  assert.equal(result.state, "pass");
  assert.match(
    result.reason,
    /live \(cluster east, namespace checkout-staging\): Deployment checkout 3\/3 available/,
  );
});

test("health, live: fails naming the workload short of replicas, though the record says available", () => {
  const health = live(
    workload(),
    workload({ kind: "StatefulSet", name: "checkout-db", desired: 2, ready: 1, available: 1 }),
  );
  const result = gate(evaluateGates(channelGates({}), facts({ health })), "health")!;
  assert.equal(result.state, "fail");
  assert.match(result.reason, /StatefulSet checkout-db has 1 of 2 replicas available \(1 ready\) in staging/);
  assert.match(result.reason, /the record says release rel_1 is available \(dep_9\)/);
  assert.doesNotMatch(result.reason, /Deployment checkout has/);
});

test("health, live: fails when the cluster runs another release, or none of the app's workloads", () => {
  const other = gate(
    evaluateGates(channelGates({}), facts({ health: live(workload({ release: "rel_0" })) })),
    "health",
  )!;
  assert.equal(other.state, "fail");
  assert.match(
    other.reason,
    /staging runs Deployment checkout of release rel_0 live .*not release rel_1 as recorded/,
  );
  const none = gate(evaluateGates(channelGates({}), facts({ health: live() })), "health")!;
  assert.equal(none.state, "fail");
  assert.match(none.reason, /no Deployment or StatefulSet of the app runs in staging/);
});

test("health: a GitOps channel passes on its record and says so; an unreadable cluster fails", () => {
  const recorded = gate(
    evaluateGates(
      channelGates({}),
      facts({ health: { source: "recorded", where: "GitOps directory gitops/staging" } }),
    ),
    "health",
  )!;
  assert.equal(recorded.state, "pass");
  assert.match(recorded.reason, /available \(dep_9\); GitOps directory gitops\/staging: recorded state$/);
  const unreadable = gate(
    evaluateGates(
      channelGates({}),
      facts({
        health: { source: "unreadable", where: "cluster east, namespace checkout-staging", error: "refused" },
      }),
    ),
    "health",
  )!;
  assert.equal(unreadable.state, "fail");
  assert.match(unreadable.reason, /staging could not be read live \(cluster east.*\): refused/);
});

test("soak: the object form with maxRestarts; the string form counts no restarts", () => {
  const both = channelGates({ gates: { soak: { duration: "30m", maxRestarts: 3 } } });
  assert.equal(both.soakSeconds, 1800);
  assert.equal(both.maxRestarts, 3);
  const short = channelGates({ gates: { soak: "30m" } });
  assert.equal(short.soakSeconds, 1800);
  assert.equal(short.maxRestarts, null);
  const restarted = live(workload({ restarts: [{ pod: "checkout-7d9-abcde", restarts: 9 }] }));
  assert.equal(gate(evaluateGates(short, facts({ health: restarted })), "soak")!.state, "pass");
});

test("soak: restarts of the current pods beyond maxRestarts fail, naming the pods and counts", () => {
  const gates = channelGates({ gates: { soak: { duration: "30m", maxRestarts: 3 } } });
  const under = gate(
    evaluateGates(
      gates,
      facts({ health: live(workload({ restarts: [{ pod: "checkout-7d9-abcde", restarts: 3 }] })) }),
    ),
    "soak",
  )!;
  assert.equal(under.state, "pass");
  assert.match(under.reason, /3 restarts of at most 3/);
  const over = gate(
    evaluateGates(
      gates,
      facts({
        health: live(
          workload({
            restarts: [
              { pod: "checkout-7d9-abcde", restarts: 2 },
              { pod: "checkout-7d9-fghij", restarts: 2 },
            ],
          }),
        ),
      }),
    ),
    "soak",
  )!;
  assert.equal(over.state, "fail");
  assert.match(
    over.reason,
    /restarted 4 times, more than the 3 allowed .*: checkout-7d9-abcde 2, checkout-7d9-fghij 2/,
  );
});

test("soak: restarts fail even while the soak time still runs; uncounted on a GitOps channel", () => {
  const gates = channelGates({ gates: { soak: { duration: "2h", maxRestarts: 0 } } });
  const early = gate(
    evaluateGates(gates, facts({ health: live(workload({ restarts: [{ pod: "p", restarts: 1 }] })) })),
    "soak",
  )!;
  assert.equal(early.state, "fail");
  const gitops = gate(
    evaluateGates(gates, facts({ health: { source: "recorded", where: "GitOps directory gitops" } })),
    "soak",
  )!;
  assert.equal(gitops.state, "waiting");
  assert.match(gitops.reason, /restarts not counted \(GitOps directory gitops: recorded state\)/);
});

test("soak without a duration counts restarts only", () => {
  const gates = channelGates({ gates: { soak: { maxRestarts: 1 } } });
  assert.equal(gates.soakSeconds, 0);
  const results = evaluateGates(gates, facts({ health: live(workload()) }));
  assert.equal(gate(results, "soak")!.state, "pass");
  assert.match(gate(results, "soak")!.reason, /0 restarts of at most 1/);
  const restarted = live(workload({ restarts: [{ pod: "checkout-7d9-abcde", restarts: 2 }] }));
  assert.equal(gate(evaluateGates(gates, facts({ health: restarted })), "soak")!.state, "fail");
});

test("the platform file takes soak in either form and names a bad restart threshold", () => {
  const file = (soak: string) =>
    `apiVersion: slipway.dev/v1\nkind: Platform\nclusters: [{ name: c, gitops: { directory: g } }]\nchannels:\n  - { name: develop, cluster: c }\n  - { name: stable, cluster: c, gates: { soak: ${soak} } }\n`;
  const gatesOf = (soak: string) => channelGates(parsePlatform(file(soak), "p.yaml").platform.channels[1]!);
  assert.deepEqual([gatesOf("30m").soakSeconds, gatesOf("30m").maxRestarts], [1800, null]);
  assert.deepEqual(
    [
      gatesOf("{ duration: 1h, maxRestarts: 3 }").soakSeconds,
      gatesOf("{ duration: 1h, maxRestarts: 3 }").maxRestarts,
    ],
    [3600, 3],
  );
  assert.throws(
    () => parsePlatform(file("{ duration: 1h, maxRestarts: -1 }"), "p.yaml"),
    (error: { problems: readonly { path: string; line: number; message: string }[] }) =>
      error.problems.some(
        (p) => p.path === "channels[1].gates.soak.maxRestarts" && p.line === 6 && />=0/.test(p.message),
      ),
  );
});
