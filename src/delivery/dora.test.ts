import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { type Episode, type Expected, plantHistory, withOffset } from "../../test/support/dora-history.ts";
import {
  computeDora,
  type DoraDeployment,
  type DoraRelease,
  type DoraReport,
  frequencyBucket,
  leadTimeReleases,
  median,
  percentile,
} from "./dora.ts";
import { type DoraSettings, doraSettings } from "./dora-settings.ts";

const settings: DoraSettings = {
  productionChannel: "stable",
  failureStatuses: ["failed", "rolled-back"],
  rollbacksAreFailures: true,
  fixForwardWithinSeconds: 3600,
};
const start = Date.parse("2026-03-01T00:00:00Z");

const minutes = fc.integer({ min: 1, max: 30 });
const episode: fc.Arbitrary<Episode> = fc.oneof(
  fc.record({
    kind: fc.constant("ok" as const),
    leadMinutes: fc.integer({ min: 1, max: 5000 }),
    minutes,
    // A release of several commits: each counts, from its own time.
    older: fc.array(fc.integer({ min: 1, max: 600 }), { maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant("fail-rollback" as const), failMinutes: minutes, minutes }),
  fc.record({
    kind: fc.constant("fail-fix" as const),
    failMinutes: minutes,
    leadMinutes: fc.integer({ min: 1, max: 600 }),
    minutes,
  }),
  fc.record({
    kind: fc.constant("rolled-back-later" as const),
    leadMinutes: fc.integer({ min: 1, max: 600 }),
    minutes,
    status: fc.constantFrom("superseded" as const, "rolled-back" as const),
  }),
  fc.record({ kind: fc.constant("fail-alone" as const), failMinutes: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ kind: fc.constant("abandoned" as const) }),
);
const offsets = fc.array(fc.constantFrom(0, 60, 120, 330, 345, -300, -480, 840, -720), {
  minLength: 1,
  maxLength: 4,
});

const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
const ids = (xs: readonly { deploymentId: string }[]) => xs.map((x) => x.deploymentId).sort();

/** Every number and every drill-down list against what the generator planted. */
function assertMatches(report: DoraReport, expected: Expected, days: number): void {
  assert.deepEqual(ids(report.deploymentFrequency.deployments), [...expected.succeeded].sort());
  assert.equal(report.deploymentFrequency.count, expected.succeeded.length);
  assert.equal(report.deploymentFrequency.perDay, expected.succeeded.length / days);
  assert.equal(report.deploymentFrequency.perWeek, (expected.succeeded.length / days) * 7);

  assert.deepEqual(sorted(report.leadTime.changes.map((c) => c.seconds)), sorted(expected.leadSeconds));
  const leads = sorted(expected.leadSeconds);
  const n = leads.length;
  const middle = n === 0 ? null : n % 2 ? leads[(n - 1) / 2]! : (leads[n / 2 - 1]! + leads[n / 2]!) / 2;
  assert.equal(report.leadTime.medianSeconds, middle);
  assert.equal(report.leadTime.p90Seconds, n === 0 ? null : leads[Math.ceil(0.9 * n) - 1]!);

  assert.deepEqual(ids(report.changeFailureRate.deployments), [...expected.total].sort());
  assert.deepEqual(
    report.changeFailureRate.failures.map((f) => [f.deploymentId, Date.parse(f.failedAt)]).sort(),
    expected.failed.map((f) => [f.id, f.failedAt]).sort(),
  );
  assert.equal(
    report.changeFailureRate.rate,
    expected.total.length === 0 ? null : expected.failed.length / expected.total.length,
  );

  assert.deepEqual(
    report.recoveryTime.recoveries.map((r) => [r.deploymentId, r.seconds]).sort(),
    expected.recoveries.map((r) => [r.id, r.seconds]).sort(),
  );
  assert.deepEqual(ids(report.recoveryTime.unrecovered), [...expected.unrecovered].sort());
  const rec = sorted(expected.recoveries.map((r) => r.seconds));
  const m = rec.length;
  assert.equal(
    report.recoveryTime.medianSeconds,
    m === 0 ? null : m % 2 ? rec[(m - 1) / 2]! : (rec[m / 2 - 1]! + rec[m / 2]!) / 2,
  );

  assert.deepEqual(
    report.reworkRate.deployments.map((r) => [r.deploymentId, r.kind]).sort(),
    expected.rework.map((r) => [r.id, r.kind]).sort(),
  );
  assert.equal(
    report.reworkRate.rate,
    expected.total.length === 0 ? null : expected.rework.length / expected.total.length,
  );
}

describe("DORA numbers over generated histories", () => {
  test("every number and its drill-down equal what was planted, whatever the time zones", () => {
    fc.assert(
      fc.property(
        fc.array(episode, { maxLength: 4 }),
        fc.array(episode, { maxLength: 14 }),
        offsets,
        (before, inside, zones) => {
          const h = plantHistory({ app: "shop", channel: "stable", start, before, inside, offsets: zones });
          const report = computeDora(h.deployments, { from: h.from, to: h.to }, settings, h.releases);
          const days = (Date.parse(h.to) - Date.parse(h.from)) / 86_400_000;
          assertMatches(report, h.expected, days);
          // The same history written in UTC gives the same report.
          const utc = plantHistory({ app: "shop", channel: "stable", start, before, inside });
          assert.deepEqual(
            computeDora(utc.deployments, { from: utc.from, to: utc.to }, settings, utc.releases),
            report,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a team's numbers pool its apps, and one app's deployment never recovers another's failure", () => {
    fc.assert(
      fc.property(fc.array(episode, { maxLength: 10 }), fc.array(episode, { maxLength: 10 }), (a, b) => {
        const ha = plantHistory({ app: "cart", channel: "stable", start, before: [], inside: a });
        const hb = plantHistory({ app: "search", channel: "stable", start, before: [], inside: b });
        // One window for both: the longer one, so that each app's planted facts stay inside it.
        const to = Date.parse(ha.to) > Date.parse(hb.to) ? ha : hb;
        const window = { from: ha.from, to: to.to };
        const team = computeDora([...ha.deployments, ...hb.deployments], window, settings, [
          ...ha.releases,
          ...hb.releases,
        ]);
        const alone = [ha, hb].map((h) => computeDora(h.deployments, window, settings, h.releases));
        assert.equal(
          team.deploymentFrequency.count,
          alone[0]!.deploymentFrequency.count + alone[1]!.deploymentFrequency.count,
        );
        assert.equal(
          team.changeFailureRate.total,
          alone[0]!.changeFailureRate.total + alone[1]!.changeFailureRate.total,
        );
        assert.deepEqual(
          team.leadTime.changes.map((c) => c.commitSha).sort(),
          alone.flatMap((r) => r.leadTime.changes.map((c) => c.commitSha)).sort(),
        );
        assert.deepEqual(
          team.recoveryTime.recoveries.map((r) => r.seconds).sort(),
          alone.flatMap((r) => r.recoveryTime.recoveries.map((x) => x.seconds)).sort(),
        );
        assert.deepEqual(
          ids(team.recoveryTime.unrecovered),
          alone.flatMap((r) => ids(r.recoveryTime.unrecovered)).sort(),
        );
        assert.deepEqual(
          ids(team.reworkRate.deployments),
          alone.flatMap((r) => ids(r.reworkRate.deployments)).sort(),
        );
      }),
      { numRuns: 150 },
    );
  });

  test("k planted failures out of n deployments give k/n, and the lead times' median is the planted one", () => {
    const inside: Episode[] = [
      { kind: "ok", leadMinutes: 60, minutes: 5 },
      { kind: "fail-alone", failMinutes: 10 },
      { kind: "ok", leadMinutes: 120, minutes: 5 },
      { kind: "fail-fix", failMinutes: 4, leadMinutes: 30, minutes: 6 },
      { kind: "ok", leadMinutes: 240, minutes: 5 },
    ];
    const h = plantHistory({ app: "shop", channel: "stable", start, before: [], inside });
    const r = computeDora(h.deployments, { from: h.from, to: h.to }, settings);
    // 6 went out (4 ok-like + 2 failed); 2 failed.
    assert.equal(r.changeFailureRate.total, 6);
    assert.equal(r.changeFailureRate.failed, 2);
    assert.equal(r.changeFailureRate.rate, 2 / 6);
    // Lead times: 65, 125, 36 (committed 30 min before the fix started, 6 to roll out), 245 minutes.
    assert.deepEqual(sorted(r.leadTime.changes.map((c) => c.seconds / 60)), [36, 65, 125, 245]);
    assert.equal(r.leadTime.medianSeconds, ((65 + 125) / 2) * 60);
    assert.equal(r.leadTime.p90Seconds, 245 * 60);
    // The lone failure waits for the next good deployment (3h later, 5 min to roll out).
    assert.deepEqual(sorted(r.recoveryTime.recoveries.map((x) => x.seconds / 60)), [11, 175]);
    assert.equal(r.reworkRate.count, 1);
    assert.equal(r.reworkRate.deployments[0]!.kind, "fix-forward");
  });

  test("a release of three commits counts three lead times; a failed release's commit counts when the next one arrives", () => {
    const inside: Episode[] = [
      // Commits 60, 90 and 150 minutes before the start (head, then 30 and 90 older), 5 to roll out.
      { kind: "ok", leadMinutes: 60, minutes: 5, older: [30, 90] },
      // Its commit, 10 minutes before its start, never arrives with it: it fails.
      { kind: "fail-alone", failMinutes: 10 },
      // Three hours later: its own commit 120 minutes before its start, and the failed one's with it.
      { kind: "ok", leadMinutes: 120, minutes: 5 },
    ];
    const h = plantHistory({ app: "shop", channel: "stable", start, before: [], inside });
    const r = computeDora(h.deployments, { from: h.from, to: h.to }, settings, h.releases);
    // 65, 95, 155 (the first release); 125 and 180 + 10 + 5 = 195 (the second, and the failed one's).
    assert.deepEqual(sorted(r.leadTime.changes.map((c) => c.seconds / 60)), [65, 95, 125, 155, 195]);
    // Sorted 65, 95, 125, 155, 195: the middle one; p90 is the ceil(0.9 × 5) = 5th.
    assert.equal(r.leadTime.medianSeconds, 125 * 60);
    assert.equal(r.leadTime.p90Seconds, 195 * 60);
    // Each change names its own commit and the deployment it arrived with.
    const second = r.leadTime.changes.filter((c) => c.seconds / 60 >= 125 && c.seconds / 60 !== 155);
    assert.equal(new Set(second.map((c) => c.deploymentId)).size, 1);
    assert.equal(new Set(r.leadTime.changes.map((c) => c.commitSha)).size, 5);
    // Without the releases' commits, each deployment counts its own release's commit: 65 and 125.
    const alone = computeDora(h.deployments, { from: h.from, to: h.to }, settings);
    assert.deepEqual(sorted(alone.leadTime.changes.map((c) => c.seconds / 60)), [65, 125]);
  });
});

/**
 * What the store hands DORA for a window (see `listDoraInputs`): all commits of the releases
 * `leadTimeReleases` counts, of the earlier ones only the commits also in a counted one, nothing
 * of the rest.
 */
function windowReleases(
  deployments: readonly DoraDeployment[],
  window: { from: string; to: string },
  releases: readonly DoraRelease[],
): DoraRelease[] {
  const { counted, earlier } = leadTimeReleases(deployments, window, settings.productionChannel, releases);
  const countedShas = new Set(
    releases.filter((r) => counted.has(r.id)).flatMap((r) => r.commits.map((c) => c.sha)),
  );
  return releases.flatMap((r) => {
    if (counted.has(r.id)) return [r];
    if (!earlier.has(r.id)) return [];
    return [{ ...r, commits: r.commits.filter((c) => countedShas.has(c.sha)) }];
  });
}

describe("DORA over a window's releases only", () => {
  test("any window of a generated history gives the same report from the releases it needs as from all of them", () => {
    fc.assert(
      fc.property(
        fc.array(episode, { maxLength: 6 }),
        fc.array(episode, { maxLength: 10 }),
        // Where the window starts and ends, as fractions of the history's span (ends past it too).
        fc.double({ min: -0.2, max: 1, noNaN: true }),
        fc.double({ min: 0.05, max: 1.3, noNaN: true }),
        // Commits shared between releases (a range recorded twice) and chains cut (a hotfix).
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat()), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 2 }),
        (before, inside, startAt, length, shared, cuts) => {
          const h = plantHistory({ app: "shop", channel: "stable", start, before, inside });
          const releases = h.releases.map((r) => ({ ...r, commits: [...r.commits] }));
          for (const [from, into, which] of shared) {
            const source = releases[from % Math.max(1, releases.length)];
            const target = releases[into % Math.max(1, releases.length)];
            const commit = source?.commits[which % Math.max(1, source.commits.length)];
            if (target !== undefined && commit !== undefined) target.commits.push(commit);
          }
          const cut = releases.map((r, i) =>
            cuts.some((c) => c % releases.length === i) ? { ...r, contains: null } : r,
          );
          const first = Date.parse(h.deployments[0]?.startedAt ?? h.from);
          const span = Math.max(Date.parse(h.to) - first, 60_000);
          const from = first + startAt * span;
          const window = {
            from: new Date(from).toISOString(),
            to: new Date(from + length * span).toISOString(),
          };
          const needed = windowReleases(h.deployments, window, cut);
          assert.deepEqual(
            computeDora(h.deployments, window, settings, needed),
            computeDora(h.deployments, window, settings, cut),
          );
        },
      ),
      { numRuns: 400 },
    );
  });

  test("a short window at the end of a long line of releases reads the commits of its own release only", () => {
    const before: Episode[] = Array.from({ length: 30 }, () => ({
      kind: "ok",
      leadMinutes: 60,
      minutes: 5,
      older: [10, 20],
    }));
    const inside: Episode[] = [{ kind: "ok", leadMinutes: 60, minutes: 5, older: [10, 20] }];
    const h = plantHistory({ app: "shop", channel: "stable", start, before, inside });
    const window = { from: h.from, to: h.to };
    const { counted, earlier } = leadTimeReleases(h.deployments, window, "stable", h.releases);
    assert.equal(counted.size, 1);
    const needed = windowReleases(h.deployments, window, h.releases);
    assert.equal(needed.flatMap((r) => r.commits).length, 3);
    // The releases that arrived before the window are walked, but none of their commits is read.
    assert.ok(earlier.size >= 30);
    assert.deepEqual(
      computeDora(h.deployments, window, settings, needed),
      computeDora(h.deployments, window, settings, h.releases),
    );
  });
});

const at = (text: string) => new Date(text).toISOString();
function dep(
  id: string,
  sequence: number,
  release: string,
  startedAt: string,
  events: [string, string][],
  extra: Partial<DoraDeployment> = {},
): DoraDeployment {
  return {
    id,
    appName: "shop",
    targetName: "stable",
    sequence,
    releaseId: release,
    commitSha: `abc${sequence}`,
    commitTime: at("2026-01-01T00:00:00Z"),
    startedAt,
    events: [["pending", startedAt] as [string, string], ...events].map(([status, time]) => ({
      status,
      at: time,
    })),
    ...extra,
  };
}

describe("DORA edge cases", () => {
  const window = { from: "2026-02-01T00:00:00Z", to: "2026-03-03T00:00:00Z" };

  test("no deployments: nothing counted, rates and medians are null, and frequency is low", () => {
    const r = computeDora([], window, settings);
    assert.equal(r.window.days, 30);
    assert.equal(r.deploymentFrequency.count, 0);
    assert.equal(r.deploymentFrequency.bucket, "low");
    assert.equal(r.leadTime.medianSeconds, null);
    assert.equal(r.leadTime.p90Seconds, null);
    assert.equal(r.changeFailureRate.rate, null);
    assert.equal(r.recoveryTime.medianSeconds, null);
    assert.equal(r.reworkRate.rate, null);
  });

  test("the window is [from, to): a start at from counts, a start or an event at to does not", () => {
    const r = computeDora(
      [
        dep("d1", 1, "r1", window.from, [["available", "2026-02-01T00:05:00Z"]]),
        dep("d2", 2, "r2", "2026-03-02T23:00:00Z", [["available", window.to]]),
        dep("d3", 3, "r3", window.to, [["available", "2026-03-03T00:01:00Z"]]),
      ],
      window,
      settings,
    );
    assert.deepEqual(ids(r.deploymentFrequency.deployments), ["d1"]);
    assert.equal(r.changeFailureRate.total, 1);
  });

  test("a deployment before the window is history, not a number: its release's return is not a new change", () => {
    const r = computeDora(
      [
        dep("d1", 1, "r1", "2026-01-20T00:00:00Z", [["available", "2026-01-20T00:05:00Z"]]),
        dep("d2", 2, "r2", "2026-02-02T00:00:00Z", [["failed", "2026-02-02T00:05:00Z"]]),
        dep("d3", 3, "r1", "2026-02-02T00:10:00Z", [["available", "2026-02-02T00:12:00Z"]]),
      ],
      window,
      settings,
    );
    assert.deepEqual(ids(r.deploymentFrequency.deployments), ["d3"]);
    assert.deepEqual(r.leadTime.changes, []);
    assert.deepEqual(ids(r.reworkRate.deployments), ["d3"]);
    assert.equal(r.reworkRate.deployments[0]!.kind, "rollback");
    assert.equal(r.reworkRate.deployments[0]!.after, "d2");
    assert.deepEqual(
      r.recoveryTime.recoveries.map((x) => [x.deploymentId, x.recoveredBy, x.seconds]),
      [["d2", "d3", 7 * 60]],
    );
  });

  test("a failure never recovered is listed, and stays out of the median", () => {
    const r = computeDora(
      [
        dep("d1", 1, "r1", "2026-02-01T10:00:00Z", [["available", "2026-02-01T10:05:00Z"]]),
        dep("d2", 2, "r2", "2026-02-10T00:00:00Z", [["failed", "2026-02-10T00:05:00Z"]]),
      ],
      window,
      settings,
    );
    assert.deepEqual(ids(r.recoveryTime.unrecovered), ["d2"]);
    assert.equal(r.recoveryTime.count, 0);
    assert.equal(r.recoveryTime.medianSeconds, null);
    assert.equal(r.changeFailureRate.rate, 1 / 2);
  });

  test("a failure before the window answered by a fix inside it: the fix is rework, the failure is not in the rate", () => {
    const r = computeDora(
      [
        dep("d1", 1, "r1", "2026-01-31T23:00:00Z", [["failed", "2026-01-31T23:50:00Z"]]),
        dep("d2", 2, "r2", "2026-02-01T00:10:00Z", [["available", "2026-02-01T00:15:00Z"]]),
      ],
      window,
      settings,
    );
    assert.equal(r.changeFailureRate.failed, 0);
    assert.deepEqual(
      r.reworkRate.deployments.map((x) => [x.deploymentId, x.kind, x.after]),
      [["d2", "fix-forward", "d1"]],
    );
  });

  test("a deployment later than the fix-forward time after a failure is planned work, not rework", () => {
    const r = computeDora(
      [
        dep("d1", 1, "r1", "2026-02-01T00:00:00Z", [["failed", "2026-02-01T00:05:00Z"]]),
        dep("d2", 2, "r2", "2026-02-01T01:05:00Z", [["available", "2026-02-01T01:10:00Z"]]),
      ],
      window,
      settings,
    );
    assert.equal(r.reworkRate.count, 0);
    assert.equal(r.recoveryTime.recoveries[0]!.seconds, 65 * 60);
  });

  test("daylight saving: instants with offsets on the night clocks change measure real time", () => {
    const r = computeDora(
      [
        dep("d1", 1, "r1", "2026-03-29T01:30:00+01:00", [["available", "2026-03-29T03:30:00+02:00"]], {
          commitTime: "2026-03-29T01:00:00+01:00",
        }),
      ],
      { from: "2026-03-28T00:00:00+01:00", to: "2026-03-30T00:00:00+02:00" },
      settings,
    );
    // 01:30 CET to 03:30 CEST is one hour; the commit was half an hour before the start.
    assert.equal(r.leadTime.changes[0]!.seconds, 90 * 60);
    assert.equal(r.leadTime.changes[0]!.availableAt, "2026-03-29T01:30:00.000Z");
    assert.equal(r.window.days, 47 / 24);
  });

  test("statuses Slipway does not know are ignored, unless the platform calls them failures", () => {
    const history = [
      dep("d1", 1, "r1", "2026-02-01T00:00:00Z", [
        ["verifying", "2026-02-01T00:01:00Z"],
        ["available", "2026-02-01T00:02:00Z"],
        ["degraded", "2026-02-01T00:30:00Z"],
      ]),
    ];
    const plain = computeDora(history, window, settings);
    assert.equal(plain.changeFailureRate.failed, 0);
    assert.equal(plain.deploymentFrequency.count, 1);
    const strict = computeDora(history, window, { ...settings, failureStatuses: ["failed", "degraded"] });
    assert.deepEqual(
      strict.changeFailureRate.failures.map((f) => [f.deploymentId, f.reason, f.failedAt]),
      [["d1", "status degraded", "2026-02-01T00:30:00.000Z"]],
    );
    // It went out before it degraded: a deployment, and a failed one.
    assert.equal(strict.deploymentFrequency.count, 1);
  });

  test("with rollbacks: false, what a rollback replaced is not a failure, the rollback still rework", () => {
    const history = [
      dep("d1", 1, "r1", "2026-02-01T00:00:00Z", [["available", "2026-02-01T00:02:00Z"]]),
      dep("d2", 2, "r2", "2026-02-02T00:00:00Z", [
        ["available", "2026-02-02T00:02:00Z"],
        ["superseded", "2026-02-02T05:00:00Z"],
      ]),
      dep("d3", 3, "r1", "2026-02-02T05:00:00Z", [["available", "2026-02-02T05:02:00Z"]]),
    ];
    const counted = computeDora(history, window, settings);
    assert.deepEqual(
      counted.changeFailureRate.failures.map((f) => [f.deploymentId, f.reason]),
      [["d2", "rolled back by d3"]],
    );
    const uncounted = computeDora(history, window, { ...settings, rollbacksAreFailures: false });
    assert.equal(uncounted.changeFailureRate.failed, 0);
    assert.deepEqual(
      uncounted.reworkRate.deployments.map((x) => [x.deploymentId, x.kind]),
      [["d3", "rollback"]],
    );
  });

  test("a redeploy of the running release and a queued deployment that never went out are neither rollbacks nor counted", () => {
    const r = computeDora(
      [
        dep("d1", 1, "r1", "2026-02-01T00:00:00Z", [["available", "2026-02-01T00:02:00Z"]]),
        dep("d2", 2, "r2", "2026-02-01T01:00:00Z", [["superseded", "2026-02-01T01:00:30Z"]]),
        dep("d3", 3, "r1", "2026-02-01T01:00:30Z", [["available", "2026-02-01T01:02:00Z"]]),
      ],
      window,
      settings,
    );
    assert.equal(r.reworkRate.count, 0);
    assert.equal(r.changeFailureRate.total, 2);
    assert.equal(r.leadTime.count, 1);
  });

  test("deployments to other channels are not production deployments", () => {
    const r = computeDora(
      [
        dep("d1", 1, "r1", "2026-02-01T00:00:00Z", [["failed", "2026-02-01T00:02:00Z"]], {
          targetName: "beta",
        }),
      ],
      window,
      settings,
    );
    assert.equal(r.changeFailureRate.total, 0);
    const beta = computeDora(
      [
        dep("d1", 1, "r1", "2026-02-01T00:00:00Z", [["failed", "2026-02-01T00:02:00Z"]], {
          targetName: "beta",
        }),
      ],
      window,
      { ...settings, productionChannel: "beta" },
    );
    assert.equal(beta.changeFailureRate.failed, 1);
  });

  test("a commit counts once, with the first deployment whose release brought it or holds one that did", () => {
    const release = (id: string, commits: [string, string | null][], contains: string | null = null) => ({
      id,
      appName: "shop",
      commits: commits.map(([sha, time]) => ({ sha, time })),
      contains,
    });
    const releases = [
      // r1 arrived before the window: its commits are history.
      release("r1", [["a1", "2026-01-19T00:00:00Z"]]),
      // r2 brings two commits; r3 holds r2 and brings one (b1 again: a rebuilt commit counts once).
      release(
        "r2",
        [
          ["b1", "2026-02-01T00:00:00Z"],
          ["b2", "2026-02-01T06:00:00Z"],
        ],
        "r1",
      ),
      release(
        "r3",
        [
          ["c1", "2026-02-02T00:00:00Z"],
          ["b1", "2026-02-01T00:00:00Z"],
        ],
        "r2",
      ),
      // r4 is from another line: it holds nothing, and its commit's time is unknown.
      release("r4", [
        ["e1", "2026-02-03T00:00:00Z"],
        ["e2", null],
      ]),
    ];
    const r = computeDora(
      [
        dep("d1", 1, "r1", "2026-01-20T00:00:00Z", [["available", "2026-01-20T00:05:00Z"]]),
        // r2 failed in production; r3 brought its commits there a day later.
        dep("d2", 2, "r2", "2026-02-02T00:00:00Z", [["failed", "2026-02-02T00:05:00Z"]]),
        dep("d3", 3, "r3", "2026-02-03T00:00:00Z", [["available", "2026-02-03T01:00:00Z"]]),
        // A rollback to r1 and r3 again: nothing new arrives.
        dep("d4", 4, "r1", "2026-02-04T00:00:00Z", [["available", "2026-02-04T00:05:00Z"]]),
        dep("d5", 5, "r3", "2026-02-05T00:00:00Z", [["available", "2026-02-05T00:05:00Z"]]),
        dep("d6", 6, "r4", "2026-02-06T00:00:00Z", [["available", "2026-02-06T00:00:00Z"]]),
      ],
      window,
      settings,
      releases,
    );
    assert.deepEqual(
      r.leadTime.changes.map((c) => [c.commitSha, c.deploymentId, c.releaseId, c.seconds / 3600]),
      [
        // d3 is available 2026-02-03T01:00: c1 25 h after it was written, b1 49 h, b2 43 h.
        ["c1", "d3", "r3", 25],
        ["b1", "d3", "r3", 49],
        ["b2", "d3", "r3", 43],
        // e1 of r4: three days to the hour; e2 has no time, so d6 is listed apart.
        ["e1", "d6", "r4", 72],
      ],
    );
    // Sorted 25, 43, 49, 72: the median is the mean of 43 and 49; p90 is the 4th of 4.
    assert.equal(r.leadTime.medianSeconds, 46 * 3600);
    assert.equal(r.leadTime.p90Seconds, 72 * 3600);
    assert.deepEqual(ids(r.leadTime.withoutCommitTime), ["d6"]);
  });

  test("a window that ends before it starts is refused", () => {
    assert.throws(() => computeDora([], { from: window.to, to: window.from }, settings), RangeError);
  });
});

describe("DORA helpers", () => {
  test("median and nearest-rank p90", () => {
    assert.equal(median([]), null);
    assert.equal(median([5]), 5);
    assert.equal(median([9, 1, 5]), 5);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(percentile([], 90), null);
    assert.equal(percentile([7], 90), 7);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90), 10);
  });

  test("deployment frequency buckets at DORA's boundaries: daily, weekly, monthly", () => {
    assert.equal(frequencyBucket(3), "elite");
    assert.equal(frequencyBucket(1), "elite");
    assert.equal(frequencyBucket(0.99), "high");
    assert.equal(frequencyBucket(1 / 7), "high");
    assert.equal(frequencyBucket(1 / 7 - 1e-9), "medium");
    assert.equal(frequencyBucket(1 / 30), "medium");
    assert.equal(frequencyBucket(1 / 31), "low");
    assert.equal(frequencyBucket(0), "low");
  });

  test("settings: production is the last channel unless the platform names one; defaults otherwise", () => {
    const channels = [
      { name: "staging", cluster: "c" },
      { name: "stable", cluster: "c" },
    ];
    assert.deepEqual(doraSettings({ channels }), {
      productionChannel: "stable",
      failureStatuses: ["failed", "rolled-back"],
      rollbacksAreFailures: true,
      fixForwardWithinSeconds: 86_400,
    });
    assert.deepEqual(
      doraSettings({
        channels,
        dora: {
          productionChannel: "staging",
          failure: { statuses: ["failed"], rollbacks: false },
          rework: { fixForwardWithin: "1h30m" },
        },
      }),
      {
        productionChannel: "staging",
        failureStatuses: ["failed"],
        rollbacksAreFailures: false,
        fixForwardWithinSeconds: 5400,
      },
    );
  });

  test("withOffset writes the same instant", () => {
    const ms = Date.parse("2026-03-29T01:30:00Z");
    for (const offset of [0, 330, -480, 60]) assert.equal(Date.parse(withOffset(ms, offset)), ms);
  });
});
