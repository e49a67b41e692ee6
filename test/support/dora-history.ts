/**
 * Generated deployment histories whose DORA answers are known by construction. A history is a list
 * of episodes (a good deployment, a failure answered by a rollback or by a fix-forward, a good
 * deployment rolled back later, a failure nobody answered, a deployment abandoned while queued);
 * the builder plants each episode's deployments and writes down, as it goes, what every number
 * must count. Nothing here computes a DORA number: the expectations are the planted facts.
 *
 * Releases are made one after the other on one line of history: each brings its own commits and
 * holds the one made before it, so a release's arrival in production brings the commits of every
 * earlier release that had not arrived (one that failed, one never promoted) with it.
 */
import type { DoraDeployment, DoraEvent, DoraRelease } from "../../src/delivery/dora.ts";

export type Episode =
  | {
      readonly kind: "ok";
      readonly leadMinutes: number;
      readonly minutes: number;
      /** More commits in the release, each this many minutes older than its head commit. */
      readonly older?: readonly number[];
    }
  | { readonly kind: "fail-rollback"; readonly failMinutes: number; readonly minutes: number }
  | {
      readonly kind: "fail-fix";
      readonly failMinutes: number;
      readonly leadMinutes: number;
      readonly minutes: number;
    }
  | {
      readonly kind: "rolled-back-later";
      readonly leadMinutes: number;
      readonly minutes: number;
      readonly status: "superseded" | "rolled-back";
    }
  | { readonly kind: "fail-alone"; readonly failMinutes: number }
  | { readonly kind: "abandoned" };

export interface Expected {
  /** Became available: deployment frequency. */
  readonly succeeded: string[];
  /** Went out (available or failed): the denominator of the rates. */
  readonly total: string[];
  readonly leadSeconds: number[];
  readonly failed: { id: string; failedAt: number }[];
  readonly recoveries: { id: string; seconds: number }[];
  readonly unrecovered: string[];
  readonly rework: { id: string; kind: "rollback" | "fix-forward" }[];
}

export interface PlantedHistory {
  readonly deployments: DoraDeployment[];
  readonly releases: DoraRelease[];
  readonly from: string;
  readonly to: string;
  readonly expected: Expected;
}

const minute = 60_000;
/** Episodes start this far apart, more than the fix-forward time the tests configure (1h). */
const episodeGap = 3 * 60 * minute;

function emptyExpected(): Expected {
  return {
    succeeded: [],
    total: [],
    leadSeconds: [],
    failed: [],
    recoveries: [],
    unrecovered: [],
    rework: [],
  };
}

/** `ms` written with the given UTC offset, e.g. `2026-03-29T07:30:00.000+05:30`. */
export function withOffset(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * minute).toISOString().slice(0, -1);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/**
 * One app's production history: `before` episodes end before the window, `inside` ones within it.
 * After the window's end, a deployment that is still rolling out and one that started later are
 * added: neither may count. `offsets` rotate the UTC offset timestamps are written with.
 */
export function plantHistory(options: {
  app: string;
  channel: string;
  start: number;
  before: readonly Episode[];
  inside: readonly Episode[];
  offsets?: readonly number[];
  idPrefix?: string;
}): PlantedHistory {
  const offsets = options.offsets?.length ? options.offsets : [0];
  let stamp = 0;
  const time = (ms: number) => withOffset(ms, offsets[stamp++ % offsets.length]!);
  const prefix = options.idPrefix ?? options.app;
  const deployments: DoraDeployment[] = [];
  let sequence = 0;
  let releases = 0;
  // Every release made, oldest first, with its commits' times; those before `arrived` reached production.
  const made: { id: string; commits: number[] }[] = [];
  let arrived = 0;
  const newRelease = (commits: number[]) => {
    const id = `${prefix}-rel-${++releases}`;
    made.push({ id, commits });
    return id;
  };
  // The release running in production: what a rollback puts back. The first episode makes it.
  let good: { release: string } | undefined;
  const commitOf = new Map<string, number>();
  // Failures not yet followed by an available deployment.
  let open: { id: string; at: number; counted: boolean }[] = [];

  let cursor = options.start;
  let counting = false;
  const expected = emptyExpected();

  const deploy = (input: {
    release: string;
    started: number;
    events: { status: string; at: number }[];
    channel?: string;
  }): string => {
    const channel = input.channel ?? options.channel;
    const id = `${prefix}-dep-${deployments.length + 1}`;
    const events: DoraEvent[] = [
      { status: "pending", at: time(input.started) },
      ...input.events.map((e) => ({ status: e.status, at: time(e.at) })),
    ];
    const commit = commitOf.get(input.release);
    deployments.push({
      id,
      appName: options.app,
      targetName: channel,
      sequence: channel === options.channel ? ++sequence : 1000 + deployments.length,
      releaseId: input.release,
      commitSha: `c0ffee${deployments.length.toString(16).padStart(4, "0")}`,
      commitTime: commit === undefined ? null : time(commit),
      startedAt: time(input.started),
      events,
    });
    return id;
  };
  /**
   * A production deployment of `release` that became available: it recovers every open failure,
   * and brings every commit of the releases made up to it that had not arrived yet.
   */
  const available = (id: string, at: number, release: string) => {
    const upTo = made.findIndex((r) => r.id === release) + 1;
    for (const r of made.slice(arrived, upTo)) {
      for (const commitTime of r.commits) if (counting) expected.leadSeconds.push((at - commitTime) / 1000);
    }
    arrived = Math.max(arrived, upTo);
    if (counting) {
      expected.succeeded.push(id);
      expected.total.push(id);
      for (const f of open.filter((o) => o.counted)) {
        expected.recoveries.push({ id: f.id, seconds: (at - f.at) / 1000 });
      }
    }
    open = [];
  };
  const failed = (id: string, at: number) => {
    if (counting) {
      expected.total.push(id);
      expected.failed.push({ id, failedAt: at });
    }
    open.push({ id, at, counted: counting });
  };
  const release = (leadMinutes: number, started: number, older: readonly number[] = []) => {
    const head = started - leadMinutes * minute;
    const id = newRelease([head, ...older.map((m) => head - m * minute)]);
    commitOf.set(id, head);
    // The same release went to staging first: production numbers must not see it.
    deploy({
      release: id,
      started: started - 30 * minute,
      events: [{ status: "available", at: started - 20 * minute }],
      channel: "staging",
    });
    return id;
  };
  const rollback = (at: number, minutes: number) => {
    const id = deploy({
      release: good!.release,
      started: at,
      events: [{ status: "available", at: at + minutes * minute }],
    });
    if (counting) expected.rework.push({ id, kind: "rollback" });
    available(id, at + minutes * minute, good!.release);
  };

  const play = (episode: Episode) => {
    const s = cursor;
    switch (episode.kind) {
      case "ok": {
        const rel = release(episode.leadMinutes, s, episode.older);
        const end = s + episode.minutes * minute;
        const id = deploy({ release: rel, started: s, events: [{ status: "available", at: end }] });
        available(id, end, rel);
        good = { release: rel };
        break;
      }
      case "fail-rollback": {
        const rel = release(10, s);
        const failAt = s + episode.failMinutes * minute;
        const id = deploy({ release: rel, started: s, events: [{ status: "failed", at: failAt }] });
        failed(id, failAt);
        rollback(failAt + 2 * minute, episode.minutes);
        break;
      }
      case "fail-fix": {
        const rel = release(10, s);
        const failAt = s + episode.failMinutes * minute;
        const id = deploy({ release: rel, started: s, events: [{ status: "failed", at: failAt }] });
        failed(id, failAt);
        // The fix starts within the fix-forward time (1h) of the failure.
        const fixStart = failAt + 5 * minute;
        const fix = release(episode.leadMinutes, fixStart);
        const end = fixStart + episode.minutes * minute;
        const fixId = deploy({ release: fix, started: fixStart, events: [{ status: "available", at: end }] });
        if (counting) expected.rework.push({ id: fixId, kind: "fix-forward" });
        available(fixId, end, fix);
        good = { release: fix };
        break;
      }
      case "rolled-back-later": {
        const rel = release(episode.leadMinutes, s);
        const up = s + episode.minutes * minute;
        const rollbackAt = up + 30 * minute;
        const id = deploy({
          release: rel,
          started: s,
          events: [
            { status: "available", at: up },
            { status: episode.status, at: rollbackAt },
          ],
        });
        available(id, up, rel);
        // Went out, then a rollback replaced it: a failed change from the rollback's start.
        if (counting) {
          expected.failed.push({ id, failedAt: rollbackAt });
        }
        open.push({ id, at: rollbackAt, counted: counting });
        rollback(rollbackAt, 4);
        break;
      }
      case "fail-alone": {
        const rel = release(10, s);
        const failAt = s + episode.failMinutes * minute;
        const id = deploy({ release: rel, started: s, events: [{ status: "failed", at: failAt }] });
        failed(id, failAt);
        break;
      }
      case "abandoned": {
        // Its commit reaches production with the next release that does.
        deploy({
          release: newRelease([s - 10 * minute]),
          started: s,
          events: [{ status: "superseded", at: s + minute }],
        });
        break;
      }
    }
    cursor += episodeGap;
  };

  // History before the window starts with a good deployment, so that rollbacks have a release to put back.
  play({ kind: "ok", leadMinutes: 60, minutes: 3 });
  for (const e of options.before) play(e);
  const from = cursor - minute;
  counting = true;
  for (const e of options.inside) play(e);
  counting = false;
  const to = Math.max(cursor - minute, from + 60 * minute);
  // Still rolling out at the window's end, then one started after it: neither counts, and neither
  // recovers a failure left open inside the window.
  const late = release(5, to - 2 * minute);
  deploy({ release: late, started: to - 2 * minute, events: [{ status: "available", at: to + 5 * minute }] });
  const later = release(5, to + 10 * minute);
  deploy({
    release: later,
    started: to + 10 * minute,
    events: [{ status: "available", at: to + 20 * minute }],
  });
  expected.unrecovered.push(...open.filter((f) => f.counted).map((f) => f.id));
  const history: DoraRelease[] = made.map((r, i) => ({
    id: r.id,
    appName: options.app,
    commits: r.commits.map((at, n) => ({ sha: `${r.id}-commit-${n}`, time: time(at) })),
    contains: i === 0 ? null : made[i - 1]!.id,
  }));
  return { deployments, releases: history, from: withOffset(from, 0), to: withOffset(to, 0), expected };
}
