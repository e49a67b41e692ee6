/**
 * Promotion gates as data: what must hold before a release moves from one channel into the next,
 * each answered pass, fail or waiting with its reason (and, while waiting on time, how long).
 * Pure: the facts (deployments, approvals, the policy verdict, the clock) are gathered by the
 * caller and handed in, so every answer is reproducible from its inputs and tested with known ones.
 *
 * - `fail` needs someone to act (a rejection, a failed rollout, a policy finding, a stopped line);
 * - `waiting` passes by itself later (soak time, a window, a freeze's end) or with more approvals.
 */

import { durationSeconds } from "../spec/common-schema.ts";
import type { ChannelConfig } from "../spec/platform-schema.ts";
import type { ChannelHealth, WorkloadHealth } from "./live-health.ts";

export const GateState = { Pass: "pass", Fail: "fail", Waiting: "waiting" } as const;
export type GateState = (typeof GateState)[keyof typeof GateState];

export type GateName = "line" | "freeze" | "window" | "health" | "soak" | "policy" | "approvals";

export interface GateResult {
  readonly gate: GateName;
  readonly state: GateState;
  readonly reason: string;
  /** While waiting on time: seconds until it passes by itself (or the window opens). */
  readonly waitSeconds: number | null;
}

type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";
const weekdays: readonly Weekday[] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

export interface PromotionWindow {
  readonly days?: readonly Weekday[] | undefined;
  readonly from: string;
  readonly to: string;
  readonly timeZone?: string | undefined;
}

export interface Freeze {
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

/** A channel's gates with their defaults applied. */
export interface ChannelGates {
  readonly policy: boolean;
  /** Whether the soak gate is asked for (`soak:` in the platform file). */
  readonly soak: boolean;
  readonly soakSeconds: number;
  /** Restarts of the release's current pods the soak gate allows; null: not counted. */
  readonly maxRestarts: number | null;
  readonly approvals: number;
  readonly health: boolean;
  readonly windows: readonly PromotionWindow[];
  readonly freezes: readonly Freeze[];
}

export function channelGates(channel: Pick<ChannelConfig, "gates">): ChannelGates {
  const g = channel.gates ?? {};
  // `soak: 30m` is the short form of `soak: { duration: 30m }`.
  const soak = typeof g.soak === "string" ? { duration: g.soak } : g.soak;
  return {
    policy: g.policy ?? true,
    soak: soak !== undefined,
    soakSeconds: soak?.duration === undefined ? 0 : durationSeconds(soak.duration),
    maxRestarts: soak?.maxRestarts ?? null,
    approvals: g.approvals ?? 0,
    health: g.health ?? true,
    windows: g.windows ?? [],
    freezes: g.freezes ?? [],
  };
}

/** One deployment of the release in the channel it is promoted from. */
export interface SourceDeployment {
  readonly id: string;
  readonly status: string;
  readonly availableAt: string | null;
  readonly updatedAt: string;
}

export interface ApprovalFact {
  readonly by: string;
  readonly decision: "approved" | "rejected";
  readonly reason: string | null;
  readonly at: string;
  /**
   * The approver may not approve any more (left the team, lost the releaser role): the approval
   * stays on record but no longer counts. A gate is judged by who may approve now.
   */
  readonly lapsed?: boolean;
}

/** The release's policy check for the destination, as if it enforced its policy. */
export type PolicyFact =
  | {
      readonly passed: boolean;
      readonly blocking: readonly { ruleId: string; object: string; message: string }[];
    }
  | { readonly error: string };

export interface LineStop {
  readonly reason: string;
  readonly stoppedBy: string;
  readonly stoppedAt: string;
}

export interface GateFacts {
  readonly now: Date;
  readonly from: string;
  readonly to: string;
  readonly release: { readonly id: string; readonly createdBy: string };
  /** The team's name, for saying who may approve. */
  readonly team: string;
  /** The release's deployment that serves the previous channel now, if there is one. */
  readonly live: SourceDeployment | undefined;
  /** Every deployment of the release to the previous channel, any status. */
  readonly history: readonly SourceDeployment[];
  /**
   * How the previous channel runs now (live from its cluster, or only recorded for a GitOps
   * directory); undefined when the caller has no view beyond the record.
   */
  readonly health?: ChannelHealth | undefined;
  /** Responses to the release for the destination channel. */
  readonly approvals: readonly ApprovalFact[];
  /** Undefined when the policy gate is off or has not been evaluated. */
  readonly policy: PolicyFact | undefined;
  readonly lineStop: LineStop | null;
}

/** Every gate the destination has, in the order people read them; the line stop always. */
export function evaluateGates(gates: ChannelGates, facts: GateFacts): GateResult[] {
  const results: GateResult[] = [lineGate(facts)];
  if (gates.freezes.length > 0) results.push(freezeGate(gates.freezes, facts));
  if (gates.windows.length > 0) results.push(windowGate(gates.windows, facts.now, facts.to));
  if (gates.health) results.push(healthGate(facts));
  if (gates.soak) results.push(soakGate(gates, facts));
  if (gates.policy && facts.policy !== undefined) results.push(policyGateResult(facts.policy, facts.to));
  if (gates.approvals > 0) results.push(approvalGate(gates.approvals, facts));
  return results;
}

/** fail if any gate fails; else waiting if any waits; else pass. */
export function overallState(results: readonly GateResult[]): GateState {
  if (results.some((r) => r.state === GateState.Fail)) return GateState.Fail;
  if (results.some((r) => r.state === GateState.Waiting)) return GateState.Waiting;
  return GateState.Pass;
}

const pass = (gate: GateName, reason: string): GateResult => ({
  gate,
  state: "pass",
  reason,
  waitSeconds: null,
});
const fail = (gate: GateName, reason: string): GateResult => ({
  gate,
  state: "fail",
  reason,
  waitSeconds: null,
});
const waiting = (gate: GateName, reason: string, waitSeconds: number | null): GateResult => ({
  gate,
  state: "waiting",
  reason,
  waitSeconds,
});

function lineGate(facts: GateFacts): GateResult {
  const stop = facts.lineStop;
  if (stop === null) return pass("line", "the line is running");
  return fail(
    "line",
    `the line is stopped for every promotion by ${stop.stoppedBy} since ${stop.stoppedAt}: ${stop.reason} (a platform administrator resumes it with \`slipway freeze lift\`)`,
  );
}

function freezeGate(freezes: readonly Freeze[], facts: GateFacts): GateResult {
  const now = facts.now.getTime();
  const active = freezes
    .filter((f) => Date.parse(f.from) <= now && now < Date.parse(f.to))
    .sort((a, b) => Date.parse(b.to) - Date.parse(a.to))[0];
  if (active === undefined) return pass("freeze", `no freeze of ${facts.to} now`);
  const left = Math.ceil((Date.parse(active.to) - now) / 1000);
  return waiting(
    "freeze",
    `${facts.to} is frozen until ${new Date(active.to).toISOString()}: ${active.reason}`,
    left,
  );
}

/** Wall-clock weekday and minute of day of `now` in a time zone. */
function localTime(now: Date, timeZone: string): { day: number; minute: number } {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const day = weekdays.indexOf(get("weekday").toLowerCase().slice(0, 3) as Weekday);
  return { day, minute: Number(get("hour")) * 60 + Number(get("minute")) };
}

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/**
 * Minutes until `window` opens (0 when open now). A window whose `to` is not after `from` runs
 * past midnight into the next day. The wait assumes no clock change in between; the gate is
 * evaluated again, so an hour's shift only makes the estimate an hour off.
 */
function minutesUntilOpen(window: PromotionWindow, now: Date): number {
  const { day, minute } = localTime(now, window.timeZone ?? "UTC");
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  const length = to > from ? to - from : to + 1440 - from;
  const onDay = (d: number) =>
    window.days === undefined || window.days.includes(weekdays[((d % 7) + 7) % 7]!);
  // An opening yesterday may still be running (past midnight), or one today.
  for (const offset of [-1, 0]) {
    const start = offset * 1440 + from;
    if (onDay(day + offset) && start <= minute && minute < start + length) return 0;
  }
  for (let offset = 0; offset <= 7; offset++) {
    const start = offset * 1440 + from;
    if (start > minute && onDay(day + offset)) return start - minute;
  }
  return 7 * 1440;
}

function describeWindow(w: PromotionWindow): string {
  return `${w.days === undefined ? "daily" : w.days.join(",")} ${w.from}-${w.to} ${w.timeZone ?? "UTC"}`;
}

function windowGate(windows: readonly PromotionWindow[], now: Date, to: string): GateResult {
  const waits = windows.map((w) => ({ w, minutes: minutesUntilOpen(w, now) }));
  const open = waits.find((x) => x.minutes === 0);
  if (open !== undefined) return pass("window", `inside the promotion window ${describeWindow(open.w)}`);
  const next = waits.reduce((a, b) => (b.minutes < a.minutes ? b : a));
  // Counted from the start of the current minute: the window opens on the minute.
  const seconds = next.minutes * 60 - now.getUTCSeconds();
  return waiting(
    "window",
    `outside ${to}'s promotion windows; the next opens in ${formatWait(seconds)} (${describeWindow(next.w)})`,
    seconds,
  );
}

function healthGate(facts: GateFacts): GateResult {
  if (facts.live === undefined) {
    return fail("health", `release ${facts.release.id} is not available in ${facts.from}`);
  }
  const recorded = `${facts.from} runs release ${facts.release.id}, available (${facts.live.id})`;
  const health = facts.health;
  if (health === undefined) return pass("health", recorded);
  if (health.source === "recorded") return pass("health", `${recorded}; ${health.where}: recorded state`);
  if (health.source === "unreadable") {
    return fail(
      "health",
      `${facts.from} could not be read live (${health.where}): ${health.error}; the record says it runs release ${facts.release.id} (${facts.live.id})`,
    );
  }
  if (health.workloads.length === 0) {
    return fail(
      "health",
      `no Deployment or StatefulSet of the app runs in ${facts.from} (${health.where}), though the record says release ${facts.release.id} is available there (${facts.live.id})`,
    );
  }
  const other = health.workloads.filter((w) => w.release !== undefined && w.release !== facts.release.id);
  if (other.length > 0) {
    return fail(
      "health",
      `${facts.from} runs ${other.map((w) => `${describeWorkload(w)} of release ${w.release}`).join(", ")} live (${health.where}), not release ${facts.release.id} as recorded (${facts.live.id})`,
    );
  }
  const short = health.workloads.filter((w) => w.available < w.desired);
  if (short.length > 0) {
    return fail(
      "health",
      `${short.map((w) => `${describeWorkload(w)} has ${w.available} of ${w.desired} replicas available (${w.ready} ready)`).join("; ")} in ${facts.from} (${health.where}) now, though the record says release ${facts.release.id} is available (${facts.live.id})`,
    );
  }
  return pass(
    "health",
    `${recorded}; live (${health.where}): ${health.workloads.map((w) => `${describeWorkload(w)} ${w.available}/${w.desired} available`).join(", ")}`,
  );
}

const describeWorkload = (w: WorkloadHealth) => `${w.kind} ${w.name}`;

const failedStatuses = new Set(["failed", "rolled-back"]);

function soakGate(gates: ChannelGates, facts: GateFacts): GateResult {
  const failed = facts.history.find((d) => failedStatuses.has(d.status));
  if (failed !== undefined) {
    return fail(
      "soak",
      `release ${facts.release.id} ${failed.status === "failed" ? "failed its rollout" : "was rolled back"} in ${facts.from} (${failed.id}, ${failed.updatedAt}): a release that failed there is not promoted`,
    );
  }
  if (facts.live?.availableAt == null) {
    return fail(
      "soak",
      `release ${facts.release.id} is not available in ${facts.from}, so it is not soaking`,
    );
  }
  const restarts = restartsAnswer(gates.maxRestarts, facts);
  if (restarts.failed !== undefined) return fail("soak", restarts.failed);
  const soakSeconds = gates.soakSeconds;
  const soaked = Math.floor((facts.now.getTime() - Date.parse(facts.live.availableAt)) / 1000);
  if (soaked >= soakSeconds) {
    return pass(
      "soak",
      `available in ${facts.from} for ${formatWait(soaked)} (${soakSeconds === 0 ? "no soak time" : `soak ${formatWait(soakSeconds)}`})${restarts.note}`,
    );
  }
  const left = soakSeconds - soaked;
  return waiting(
    "soak",
    `available in ${facts.from} for ${formatWait(soaked)} of ${formatWait(soakSeconds)}; ${formatWait(left)} left${restarts.note}`,
    left,
  );
}

/**
 * The restart part of the soak gate: a failure naming the pods when the release's current pods
 * restarted more than `maxRestarts` times in all, else a note for the reason. Restarts are counted
 * only where the channel is read live; elsewhere the note says they were not.
 */
function restartsAnswer(maxRestarts: number | null, facts: GateFacts): { failed?: string; note: string } {
  if (maxRestarts === null) return { note: "" };
  const health = facts.health;
  if (health === undefined || health.source === "recorded") {
    const where = health === undefined ? "no live view" : `${health.where}: recorded state`;
    return { note: `; restarts not counted (${where})` };
  }
  if (health.source === "unreadable") {
    return {
      failed: `the restarts of release ${facts.release.id} in ${facts.from} could not be counted (${health.where}): ${health.error}`,
      note: "",
    };
  }
  const pods = health.workloads.flatMap((w) => w.restarts).filter((p) => p.restarts > 0);
  const total = pods.reduce((sum, p) => sum + p.restarts, 0);
  const counted = `${total} restart${total === 1 ? "" : "s"} of at most ${maxRestarts}`;
  if (total <= maxRestarts) return { note: `; ${counted}` };
  const named = [...pods]
    .sort((a, b) => b.restarts - a.restarts || a.pod.localeCompare(b.pod))
    .slice(0, 5)
    .map((p) => `${p.pod} ${p.restarts}`)
    .join(", ");
  const more = pods.length > 5 ? `, and ${pods.length - 5} more pods` : "";
  return {
    failed: `the pods of release ${facts.release.id} in ${facts.from} restarted ${total} times, more than the ${maxRestarts} allowed (${health.where}): ${named}${more}`,
    note: "",
  };
}

function policyGateResult(policy: PolicyFact, to: string): GateResult {
  if ("error" in policy) return fail("policy", `the policy of ${to} could not be checked: ${policy.error}`);
  if (policy.passed && policy.blocking.length === 0) {
    return pass("policy", `clean under ${to}'s policy in enforce mode`);
  }
  const shown = policy.blocking
    .slice(0, 3)
    .map((f) => `${f.object}: ${f.message} [${f.ruleId}]`)
    .join("; ");
  const more = policy.blocking.length > 3 ? `; and ${policy.blocking.length - 3} more` : "";
  return fail(
    "policy",
    `${policy.blocking.length} finding${policy.blocking.length === 1 ? "" : "s"} would block ${to} in enforce mode: ${shown}${more}`,
  );
}

function approvalGate(needed: number, facts: GateFacts): GateResult {
  const rejection = facts.approvals.find((a) => a.decision === "rejected");
  if (rejection !== undefined) {
    return fail(
      "approvals",
      `rejected for ${facts.to} by ${rejection.by} at ${rejection.at}: ${rejection.reason ?? "no reason given"}`,
    );
  }
  // The store refuses a creator's approval; counted here only from others all the same.
  const approved = facts.approvals.filter(
    (a) => a.decision === "approved" && a.by !== facts.release.createdBy,
  );
  const approvers = [...new Set(approved.filter((a) => a.lapsed !== true).map((a) => a.by))];
  const lapsed = [...new Set(approved.filter((a) => a.lapsed === true).map((a) => a.by))].filter(
    (by) => !approvers.includes(by),
  );
  const of = `${approvers.length} of ${needed} approval${needed === 1 ? "" : "s"}`;
  const note =
    lapsed.length === 0
      ? ""
      : `; ${lapsed.join(", ")} approved but no longer ${lapsed.length === 1 ? "is a releaser" : "are releasers"} of team ${facts.team}, which no longer counts`;
  if (approvers.length >= needed) return pass("approvals", `${of} (${approvers.join(", ")})`);
  const missing = needed - approvers.length;
  return waiting(
    "approvals",
    `${of} for ${facts.to}${approvers.length > 0 ? ` (${approvers.join(", ")})` : ""}; needs ${missing} more from a releaser of team ${facts.team} other than ${facts.release.createdBy}${note}`,
    null,
  );
}

/** `1h 5m`, `42m`, `30s`: a wait for people to read. */
export function formatWait(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [d > 0 ? `${d}d` : "", h > 0 ? `${h}h` : "", m > 0 ? `${m}m` : ""].filter(Boolean);
  if (parts.length === 0) return `${s % 60}s`;
  return parts.slice(0, 2).join(" ");
}
