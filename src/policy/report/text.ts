/**
 * The human report of `slipway check`: findings grouped by object (in input order), each with its
 * path, message and fix, then one summary line that says whether the run blocks and why.
 */
import type { Finding, Rule } from "../types.ts";
import type { Verdict } from "../verdict.ts";

export interface ObjectSource {
  readonly file: string;
  readonly line: number;
}

const marks = { error: "✖ error  ", warning: "⚠ warning", info: "ℹ info   " } as const;

export function formatText(
  verdict: Verdict,
  options: {
    objectCount: number;
    rules: readonly Rule[];
    sourceOf?: (object: string) => ObjectSource | undefined;
  },
): string {
  const groups = new Map<string, Finding[]>();
  for (const f of verdict.findings) {
    const list = groups.get(f.object);
    if (list) list.push(f);
    else groups.set(f.object, [f]);
  }
  const lines: string[] = [];
  for (const [object, findings] of groups) {
    const src = options.sourceOf?.(object);
    lines.push(src ? `${object}  (${src.file}:${src.line})` : object);
    for (const f of findings) {
      const mark = f.waived ? "~ waived " : marks[f.severity];
      lines.push(`  ${mark} ${f.ruleId}  ${f.path}: ${f.message}`);
      if (f.waived) lines.push(`             waived until ${f.waived.expires}: ${f.waived.reason}`);
      else lines.push(`             fix: ${f.hint}`);
      if (f.refusedWaiver) {
        lines.push(
          `             waiver until ${f.refusedWaiver.expires} does not apply: ${f.refusedWaiver.refused}`,
        );
      }
      if (f.expiredWaiver) {
        lines.push(
          `             waiver expired on ${f.expiredWaiver.expires} and no longer applies (${f.expiredWaiver.reason})`,
        );
      }
    }
    lines.push("");
  }
  for (const w of verdict.expiredWaivers) {
    lines.push(
      `expired waiver: ${w.rule}${w.object ? ` on ${w.object}` : ""} expired on ${w.expires} — renew it or fix the finding`,
    );
  }
  for (const { waiver: w, reason } of verdict.refusedWaivers) {
    lines.push(
      `refused waiver: ${w.rule}${w.object ? ` on ${w.object}` : ""} until ${w.expires} — ${reason}`,
    );
  }
  const c = verdict.counts;
  const summary = `${options.objectCount} objects, ${options.rules.length} rules: ${c.error} errors, ${c.warning} warnings, ${c.info} infos, ${c.waived} waived`;
  const outcome =
    verdict.mode === "warn"
      ? "mode warn: passed (findings are reported, not enforced)"
      : verdict.passed
        ? "mode enforce: passed"
        : `mode enforce: blocked by ${verdict.blocking.length} finding${verdict.blocking.length === 1 ? "" : "s"} of error rules`;
  lines.push(`${summary} — ${outcome}`);
  return `${lines.join("\n")}\n`;
}
