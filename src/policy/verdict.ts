/**
 * From findings to a verdict: waivers applied (and expired or refused ones reported), the
 * channel's mode applied, and the list of findings that block. Pure; "today" is passed in so that
 * an expiry is tested like any other input.
 *
 * This is the one place a waiver takes effect, so the limits on waivers live here too: a rule in
 * `unwaivableRules` is never waived, and a waiver that expires further ahead than the platform's
 * `maxDays` waives nothing (renewing it is the periodic review).
 */
import {
  DEFAULT_MAX_WAIVER_DAYS,
  type PolicyMode,
  unwaivableReason,
  unwaivableRules,
  type Waiver,
} from "./config.ts";
import type { RefusedWaiver } from "./settings.ts";
import type { Finding } from "./types.ts";

export interface Verdict {
  readonly mode: PolicyMode;
  /** Every finding, annotated with the waiver that covers it or the waiver that expired. */
  readonly findings: readonly Finding[];
  /** Unwaived findings of `error` rules under `enforce`; empty under `warn`. */
  readonly blocking: readonly Finding[];
  readonly passed: boolean;
  readonly counts: {
    readonly error: number;
    readonly warning: number;
    readonly info: number;
    readonly waived: number;
  };
  readonly expiredWaivers: readonly Waiver[];
  /** Waivers that waive nothing: a rule that cannot be waived, not allowed here, or too long. */
  readonly refusedWaivers: readonly RefusedWaiver[];
}

export interface DecideOptions {
  readonly mode: PolicyMode;
  readonly waivers?: readonly Waiver[];
  /** Waivers already refused (by the platform's allowlist); they are reported, never applied. */
  readonly refusedWaivers?: readonly RefusedWaiver[];
  /** How many days after `today` a waiver may expire; default 90. */
  readonly maxWaiverDays?: number;
  /** ISO date `YYYY-MM-DD`; a waiver applies through its `expires` day. */
  readonly today: string;
}

function addDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Why a waiver the platform allowed still waives nothing today, if it does not. */
function refusal(w: Waiver, latest: string, maxDays: number): string | undefined {
  if (unwaivableRules.has(w.rule)) return unwaivableReason(w.rule);
  if (w.expires > latest) {
    return `expires ${w.expires}, more than ${maxDays} days ahead (latest allowed: ${latest}); set an earlier date and renew it when it runs out`;
  }
  return undefined;
}

/** `Deployment/web` matches `Deployment/shop/web`; a three-part reference must match exactly. */
function waiverCovers(w: Waiver, f: Finding): boolean {
  if (w.rule !== f.ruleId) return false;
  if (w.object === undefined || w.object === f.object) return true;
  const parts = f.object.split("/");
  return parts.length === 3 && w.object === `${parts[0]}/${parts[2]}`;
}

export function decide(findings: readonly Finding[], options: DecideOptions): Verdict {
  const maxDays = options.maxWaiverDays ?? DEFAULT_MAX_WAIVER_DAYS;
  const latest = addDays(options.today, maxDays);
  const refused: RefusedWaiver[] = [...(options.refusedWaivers ?? [])];
  const waivers: Waiver[] = [];
  for (const w of options.waivers ?? []) {
    const reason = refusal(w, latest, maxDays);
    if (reason === undefined) waivers.push(w);
    else refused.push({ waiver: w, reason });
  }
  const expired = waivers.filter((w) => w.expires < options.today);
  const active = waivers.filter((w) => w.expires >= options.today);
  const counts = { error: 0, warning: 0, info: 0, waived: 0 };
  const annotated: Finding[] = [];
  const blocking: Finding[] = [];
  for (const f of findings) {
    const waiver = active.find((w) => waiverCovers(w, f));
    if (waiver) {
      counts.waived++;
      annotated.push({ ...f, waived: { reason: waiver.reason, expires: waiver.expires } });
      continue;
    }
    const lapsed = expired.find((w) => waiverCovers(w, f));
    const denied = lapsed ? undefined : refused.find((r) => waiverCovers(r.waiver, f));
    const finding = lapsed
      ? { ...f, expiredWaiver: { reason: lapsed.reason, expires: lapsed.expires } }
      : denied
        ? {
            ...f,
            refusedWaiver: {
              reason: denied.waiver.reason,
              expires: denied.waiver.expires,
              refused: denied.reason,
            },
          }
        : f;
    annotated.push(finding);
    counts[f.severity]++;
    if (options.mode === "enforce" && f.severity === "error") blocking.push(finding);
  }
  return {
    mode: options.mode,
    findings: annotated,
    blocking,
    passed: blocking.length === 0,
    counts,
    expiredWaivers: expired,
    refusedWaivers: refused,
  };
}
