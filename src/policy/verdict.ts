/**
 * From findings to a verdict: waivers applied (and expired ones reported), the channel's mode
 * applied, and the list of findings that block. Pure; "today" is passed in so that an expiry is
 * tested like any other input.
 */
import type { PolicyMode, Waiver } from "./config.ts";
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
}

export interface DecideOptions {
  readonly mode: PolicyMode;
  readonly waivers?: readonly Waiver[];
  /** ISO date `YYYY-MM-DD`; a waiver applies through its `expires` day. */
  readonly today: string;
}

/** `Deployment/web` matches `Deployment/shop/web`; a three-part reference must match exactly. */
function waiverCovers(w: Waiver, f: Finding): boolean {
  if (w.rule !== f.ruleId) return false;
  if (w.object === undefined || w.object === f.object) return true;
  const parts = f.object.split("/");
  return parts.length === 3 && w.object === `${parts[0]}/${parts[2]}`;
}

export function decide(findings: readonly Finding[], options: DecideOptions): Verdict {
  const waivers = options.waivers ?? [];
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
    const finding = lapsed ? { ...f, expiredWaiver: { reason: lapsed.reason, expires: lapsed.expires } } : f;
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
  };
}
