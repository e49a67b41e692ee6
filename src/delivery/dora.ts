/**
 * DORA's five software delivery numbers over a window, computed from Slipway's own deployment
 * history: pure functions over plain data, no clock and no I/O. docs/dora.md states every rule
 * below in words; keep the two the same.
 *
 * Everything is judged as of the window's end: an event at or after `to` has not happened yet,
 * so the numbers of a past window never change. Times are instants (ISO-8601 with any offset);
 * a day is 86,400 seconds, so time zones and daylight saving play no part.
 */
import type { DoraSettings } from "./dora-settings.ts";

/** One status change of a deployment, as the store records it. */
export interface DoraEvent {
  readonly status: string;
  readonly at: string;
}

/** A deployment with what the numbers need: its release's commit and its status changes. */
export interface DoraDeployment {
  readonly id: string;
  readonly appName: string;
  readonly targetName: string;
  /** 1, 2, 3… per app and channel, in the order the deployments were started. */
  readonly sequence: number;
  readonly releaseId: string;
  readonly commitSha: string;
  /** When the release's commit was written; null when the release did not say. */
  readonly commitTime: string | null;
  readonly startedAt: string;
  /** Oldest first. Statuses Slipway does not know yet are kept and count only if configured as failures. */
  readonly events: readonly DoraEvent[];
}

/** A commit as lead time counts it: its id and when it was written (null: not known). */
export interface DoraCommit {
  readonly sha: string;
  readonly time: string | null;
}

/**
 * A release with the commits it brought (those since the app's release before it) and the earlier
 * release it holds entirely (whose commit is an ancestor of its own; null: none known). When this
 * release arrives in production, so do the commits of every release down that chain.
 */
export interface DoraRelease {
  readonly id: string;
  readonly appName: string;
  readonly commits: readonly DoraCommit[];
  readonly contains: string | null;
}

/** `[from, to)`. */
export interface DoraWindow {
  readonly from: string;
  readonly to: string;
}

export type FrequencyBucket = "elite" | "high" | "medium" | "low";

/** What a number is made of: the deployment, its release and commit. */
export interface DeploymentRef {
  readonly deploymentId: string;
  readonly appName: string;
  readonly releaseId: string;
  readonly commitSha: string;
}

/** One commit's lead time; `commitSha` is that commit, the deployment is the one it arrived with. */
export interface LeadTimeSample extends DeploymentRef {
  readonly commitTime: string;
  readonly availableAt: string;
  readonly seconds: number;
}

export interface FailureRef extends DeploymentRef {
  readonly failedAt: string;
  /** `status <s>` (it reached a failure status) or `rolled back by <deployment>`. */
  readonly reason: string;
}

export interface Recovery extends FailureRef {
  readonly recoveredBy: string;
  readonly recoveredAt: string;
  readonly seconds: number;
}

export interface ReworkRef extends DeploymentRef {
  readonly kind: "rollback" | "fix-forward";
  /** The failed deployment it answered. */
  readonly after: string;
}

export interface DoraReport {
  readonly window: { readonly from: string; readonly to: string; readonly days: number };
  readonly productionChannel: string;
  readonly deploymentFrequency: {
    readonly count: number;
    readonly perDay: number;
    readonly perWeek: number;
    readonly bucket: FrequencyBucket;
    readonly deployments: readonly DeploymentRef[];
  };
  readonly leadTime: {
    readonly count: number;
    readonly medianSeconds: number | null;
    readonly p90Seconds: number | null;
    /** One per commit that first arrived in production in the window. */
    readonly changes: readonly LeadTimeSample[];
    /** Deployments that brought commits without a commit time to production: not in the numbers. */
    readonly withoutCommitTime: readonly DeploymentRef[];
  };
  readonly changeFailureRate: {
    readonly failed: number;
    readonly total: number;
    readonly rate: number | null;
    readonly failures: readonly FailureRef[];
    readonly deployments: readonly DeploymentRef[];
  };
  readonly recoveryTime: {
    readonly count: number;
    readonly medianSeconds: number | null;
    readonly recoveries: readonly Recovery[];
    readonly unrecovered: readonly FailureRef[];
  };
  readonly reworkRate: {
    readonly count: number;
    readonly total: number;
    readonly rate: number | null;
    readonly deployments: readonly ReworkRef[];
  };
}

const daySeconds = 86_400;

/** DORA's deployment frequency clusters, as an average rate: elite is on demand (daily or more). */
export function frequencyBucket(perDay: number): FrequencyBucket {
  if (perDay >= 1) return "elite";
  if (perDay >= 1 / 7) return "high";
  if (perDay >= 1 / 30) return "medium";
  return "low";
}

/** The middle value; the mean of the two middle values when the count is even. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest rank: the smallest value with at least p% of the values at or below it. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** What happened to one production deployment by the window's end. */
interface Outcome {
  readonly d: DoraDeployment;
  readonly started: number;
  readonly available: number | undefined;
  readonly failed: { readonly at: number; readonly reason: string } | undefined;
  /** The earlier deployment whose release it redeploys over a newer one, when it is a rollback. */
  readonly rollbackOf: Outcome | undefined;
}

/**
 * The numbers for the deployments of one or more apps. Deployments to other channels, and
 * anything that started at or after `to`, are ignored. `releases` tells which commits each release
 * brought; a release missing from it counts as bringing just its own commit (the deployment's).
 */
export function computeDora(
  deployments: readonly DoraDeployment[],
  window: DoraWindow,
  settings: DoraSettings,
  releases: readonly DoraRelease[] = [],
): DoraReport {
  const from = instant(window.from);
  const to = instant(window.to);
  if (!(to > from))
    throw new RangeError(`the window's end ${window.to} is not after its start ${window.from}`);
  const byApp = new Map<string, DoraDeployment[]>();
  for (const d of deployments) {
    if (d.targetName !== settings.productionChannel || instant(d.startedAt) >= to) continue;
    byApp.set(d.appName, [...(byApp.get(d.appName) ?? []), d]);
  }
  const outcomes = [...byApp.values()].flatMap((list) => outcomesOf(list, to, settings));

  const inWindow = outcomes.filter((o) => o.started >= from && (o.available ?? o.failed) !== undefined);
  const days = (to - from) / 1000 / daySeconds;

  const succeeded = inWindow.filter((o) => o.available !== undefined);
  const perDay = succeeded.length / days;

  const { changes, withoutCommitTime } = leadTimes(outcomes, from, releases);
  const leadSeconds = changes.map((c) => c.seconds);

  const failures = inWindow.filter((o) => o.failed !== undefined);
  const recoveries: Recovery[] = [];
  const unrecovered: FailureRef[] = [];
  for (const f of failures) {
    const next = nextAvailable(f, outcomes);
    if (next === undefined) unrecovered.push(failureRef(f));
    else {
      recoveries.push({
        ...failureRef(f),
        recoveredBy: next.d.id,
        recoveredAt: iso(next.available!),
        seconds: (next.available! - f.failed!.at) / 1000,
      });
    }
  }

  const rework = inWindow.flatMap((o) => {
    const kind = reworkOf(o, outcomes, settings);
    return kind === undefined ? [] : [kind];
  });

  return {
    window: { from: iso(from), to: iso(to), days },
    productionChannel: settings.productionChannel,
    deploymentFrequency: {
      count: succeeded.length,
      perDay,
      perWeek: perDay * 7,
      bucket: frequencyBucket(perDay),
      deployments: succeeded.map(ref),
    },
    leadTime: {
      count: changes.length,
      medianSeconds: median(leadSeconds),
      p90Seconds: percentile(leadSeconds, 90),
      changes,
      withoutCommitTime,
    },
    changeFailureRate: {
      failed: failures.length,
      total: inWindow.length,
      rate: ratio(failures.length, inWindow.length),
      failures: failures.map(failureRef),
      deployments: inWindow.map(ref),
    },
    recoveryTime: {
      count: recoveries.length,
      medianSeconds: median(recoveries.map((r) => r.seconds)),
      recoveries,
      unrecovered,
    },
    reworkRate: {
      count: rework.length,
      total: inWindow.length,
      rate: ratio(rework.length, inWindow.length),
      deployments: rework,
    },
  };
}

/** One app's production deployments, in sequence order, with what became of them by `to`. */
function outcomesOf(list: readonly DoraDeployment[], to: number, settings: DoraSettings): Outcome[] {
  const sorted = [...list].sort((a, b) => a.sequence - b.sequence);
  const own = sorted.map((d) => {
    const seen = d.events.filter((e) => instant(e.at) < to);
    const failure = seen.find((e) => settings.failureStatuses.includes(e.status));
    return {
      d,
      started: instant(d.startedAt),
      available: availableAt(d, to),
      failed:
        failure === undefined ? undefined : { at: instant(failure.at), reason: `status ${failure.status}` },
      rollbackOf: undefined as Outcome | undefined,
    };
  });
  // A rollback redeploys a release that was available here before, over the last deployment that
  // went out (became available or failed) with another release.
  const victims = own.map((o, i) => {
    const before = own.slice(0, i);
    const last = before.findLastIndex((p) => p.available !== undefined || p.failed !== undefined);
    const wasAvailable = before.some((p) => p.d.releaseId === o.d.releaseId && p.available !== undefined);
    return last >= 0 && own[last]!.d.releaseId !== o.d.releaseId && wasAvailable ? last : undefined;
  });
  for (const [i, o] of own.entries()) {
    const victim = victims[i] === undefined ? undefined : own[victims[i]]!;
    if (victim === undefined) continue;
    o.rollbackOf = victim;
    // What a rollback replaced failed when the rollback started, unless it had failed already.
    if (settings.rollbacksAreFailures && (victim.failed === undefined || victim.failed.at > o.started)) {
      victim.failed = { at: o.started, reason: `rolled back by ${o.d.id}` };
    }
  }
  return own;
}

/** What the walk through held releases needs of a release. */
export interface DoraReleaseLink {
  readonly id: string;
  readonly contains: string | null;
}

/** What the walk needs of a production deployment: when it started and when it became available. */
interface Arrival {
  readonly d: DoraDeployment;
  readonly started: number;
  readonly available: number | undefined;
}

/**
 * Per app, in sequence order: each deployment that became available, with the releases it first
 * brought to production — its own, then each release it holds, until one that had arrived (so had
 * its chain). A release missing from `byId` ends the chain; the deployment's own stands as `own`.
 * Lead time and `leadTimeReleases` both walk here, so what the store reads is what is counted.
 */
function arrivals<A extends Arrival, R extends DoraReleaseLink>(
  list: readonly A[],
  byId: ReadonlyMap<string, R>,
  own: (a: A) => R,
): { arrival: A; releases: R[] }[] {
  const byApp = new Map<string, A[]>();
  for (const a of list) {
    const appList = byApp.get(a.d.appName);
    if (appList === undefined) byApp.set(a.d.appName, [a]);
    else appList.push(a);
  }
  const result: { arrival: A; releases: R[] }[] = [];
  for (const appList of byApp.values()) {
    const arrived = new Set<string>();
    for (const a of [...appList].sort((x, y) => x.d.sequence - y.d.sequence)) {
      if (a.available === undefined) continue;
      const releases: R[] = [];
      let id: string | null = a.d.releaseId;
      while (id !== null && !arrived.has(id)) {
        arrived.add(id);
        const release: R | undefined = byId.get(id) ?? (id === a.d.releaseId ? own(a) : undefined);
        if (release === undefined) break;
        releases.push(release);
        id = release.contains;
      }
      result.push({ arrival: a, releases });
    }
  }
  return result;
}

/**
 * Which releases a window's lead time reads the commits of, given the production deployments and
 * every release's link to the one it holds: `counted`, the releases that deployments started in
 * the window first brought to production (all their commits are the window's changes), and
 * `earlier`, those that arrived before (of their commits only those also in a `counted` release
 * matter: such a commit had arrived already). No other release's commits can change the answer.
 */
export function leadTimeReleases(
  deployments: readonly DoraDeployment[],
  window: DoraWindow,
  productionChannel: string,
  links: readonly DoraReleaseLink[],
): { counted: Set<string>; earlier: Set<string> } {
  const from = instant(window.from);
  const to = instant(window.to);
  const production = deployments
    .filter((d) => d.targetName === productionChannel && instant(d.startedAt) < to)
    .map((d) => ({ d, started: instant(d.startedAt), available: availableAt(d, to) }));
  const byId = new Map(links.map((l) => [l.id, l]));
  const counted = new Set<string>();
  const earlier = new Set<string>();
  for (const { arrival, releases } of arrivals(production, byId, (a) => ({
    id: a.d.releaseId,
    contains: null,
  }))) {
    for (const release of releases) (arrival.started >= from ? counted : earlier).add(release.id);
  }
  return { counted, earlier };
}

/** When the deployment first became available, as known before `to`. */
function availableAt(d: DoraDeployment, to: number): number | undefined {
  const available = d.events.find((e) => e.status === "available" && instant(e.at) < to);
  return available === undefined ? undefined : instant(available.at);
}

/**
 * A commit's lead time ends when it first became available in production: with the first
 * deployment of the app (in sequence order) whose release brought it, or holds a release that did.
 * Each commit counts once per app, for the deployment it arrived with, when that deployment
 * started in the window; arrivals before the window only mark their commits as arrived.
 */
function leadTimes(
  outcomes: readonly Outcome[],
  from: number,
  releases: readonly DoraRelease[],
): { changes: LeadTimeSample[]; withoutCommitTime: DeploymentRef[] } {
  const byId = new Map(releases.map((r) => [r.id, r]));
  const changes: LeadTimeSample[] = [];
  const withoutCommitTime: DeploymentRef[] = [];
  const arrivedCommits = new Map<string, Set<string>>();
  const walked = arrivals(outcomes, byId, (o) => ({
    id: o.d.releaseId,
    appName: o.d.appName,
    commits: [{ sha: o.d.commitSha, time: o.d.commitTime }],
    contains: null,
  }));
  for (const { arrival: o, releases: brought } of walked) {
    const arrived = arrivedCommits.get(o.d.appName) ?? new Set<string>();
    arrivedCommits.set(o.d.appName, arrived);
    const available = o.available!;
    const counted = o.started >= from;
    // Once per deployment, not per commit: a window may bring tens of thousands of commits.
    const deployment = ref(o);
    const availableAt = iso(available);
    let untimed = false;
    for (const release of brought) {
      for (const commit of release.commits) {
        if (arrived.has(commit.sha)) continue;
        arrived.add(commit.sha);
        if (!counted) continue;
        if (commit.time === null) {
          untimed = true;
          continue;
        }
        const written = instant(commit.time);
        changes.push({
          ...deployment,
          commitSha: commit.sha,
          commitTime: iso(written),
          availableAt,
          seconds: (available - written) / 1000,
        });
      }
    }
    if (untimed) withoutCommitTime.push(ref(o));
  }
  return { changes, withoutCommitTime };
}

/** The first production deployment of the same app to become available at or after the failure. */
function nextAvailable(f: Outcome, all: readonly Outcome[]): Outcome | undefined {
  let best: Outcome | undefined;
  for (const o of all) {
    if (o === f || o.d.appName !== f.d.appName || o.available === undefined) continue;
    if (o.available < f.failed!.at) continue;
    if (best === undefined || o.available < best.available!) best = o;
  }
  return best;
}

/**
 * Rework is an unplanned deployment made because of a failure: a rollback, or a fix-forward — the
 * first deployment after a failure that is not a rollback, started within the configured time of it.
 */
function reworkOf(o: Outcome, all: readonly Outcome[], settings: DoraSettings): ReworkRef | undefined {
  if (o.rollbackOf !== undefined) {
    // The failure it answered: the deployment it replaced, whatever made it fail.
    return { ...ref(o), kind: "rollback", after: o.rollbackOf.d.id };
  }
  const sameApp = all.filter((p) => p.d.appName === o.d.appName);
  for (const f of sameApp) {
    if (f.failed === undefined || f.d.sequence >= o.d.sequence) continue;
    const elapsed = o.started - f.failed.at;
    if (elapsed < 0 || elapsed >= settings.fixForwardWithinSeconds * 1000) continue;
    // Only the first deployment that went out after the failure, skipping rollbacks, answers it.
    const first = sameApp.find(
      (p) =>
        p.d.sequence > f.d.sequence &&
        p.started >= f.failed!.at &&
        p.rollbackOf === undefined &&
        (p.available ?? p.failed) !== undefined,
    );
    if (first === o) return { ...ref(o), kind: "fix-forward", after: f.d.id };
  }
  return undefined;
}

function ref(o: Outcome): DeploymentRef {
  return {
    deploymentId: o.d.id,
    appName: o.d.appName,
    releaseId: o.d.releaseId,
    commitSha: o.d.commitSha,
  };
}

function failureRef(o: Outcome): FailureRef {
  return { ...ref(o), failedAt: iso(o.failed!.at), reason: o.failed!.reason };
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

function instant(text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new RangeError(`${JSON.stringify(text)} is not a time`);
  return ms;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
