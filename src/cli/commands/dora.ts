/**
 * `slipway dora`: DORA's delivery numbers for a team or an app over a window, in the production
 * channel; `--explain` lists the deployments and commits behind each number.
 */
import type { Command } from "commander";
import type { DoraResponse } from "../../api/history.ts";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { clientFor } from "../client/list-options.ts";
import type { CliIo } from "../io.ts";
import { json, OUTPUT_FORMATS, parseOutput } from "../options.ts";
import { printable, shortTime, table } from "../table.ts";

interface DoraFlags {
  team?: string;
  app?: string;
  window: string;
  until?: string;
  explain?: boolean;
  output?: string;
}

export function registerDora(program: Command, io: CliIo): void {
  program
    .command("dora")
    .description("Show DORA's delivery numbers for a team or an app in the production channel.")
    .option("--team <team>", "a team (default: your team, when you are in exactly one)")
    .option("--app <app>", "one app")
    .option("--window <window>", "how far back from --until: e.g. 30d, 12w, 72h", "30d")
    .option("--until <time>", "the window's end, ISO-8601 (default: now)")
    .option("--explain", "list the deployments and commits behind each number")
    .option("-o, --output <format>", "text or json", "text")
    .action(async (flags: DoraFlags) => {
      const format = parseOutput(flags.output, OUTPUT_FORMATS, "text");
      const client = await clientFor(io);
      let team = flags.team;
      if (team === undefined && flags.app === undefined) {
        const teams = (await client.whoami()).memberships.map((m) => m.teamName);
        if (teams.length !== 1) {
          throw new SlipwayError(
            ErrorCode.Input,
            teams.length === 0
              ? "name a team with --team or an app with --app: you are not a member of any team"
              : `name a team with --team or an app with --app: you are in ${teams.map(printable).join(", ")}`,
          );
        }
        team = teams[0];
      }
      const result = await client.dora({ team, app: flags.app, window: flags.window, until: flags.until });
      if (format === "json") return io.out(json(result));
      io.out(render(result, flags.explain === true));
    });
}

type Report = DoraResponse["total"];

function render(result: DoraResponse, explain: boolean): string {
  const { total, settings } = result;
  const scope = result.app !== null ? `app ${result.app}` : `team ${result.team}`;
  const lines = [
    `DORA for ${printable(scope)}, production channel ${printable(settings.productionChannel)}, ` +
      `${shortTime(total.window.from)} → ${shortTime(total.window.to)} UTC (${round(total.window.days)} days)`,
    `a failure: status ${settings.failureStatuses.map(printable).join(" or ")}` +
      `${settings.rollbacksAreFailures ? ", or replaced by a rollback" : ""}; ` +
      `a fix-forward: the first deployment within ${duration(settings.fixForwardWithinSeconds)} of a failure that is not a rollback`,
    "",
  ];
  const rows = [
    row(result.app ?? "(all apps)", total),
    ...(result.app === null ? result.apps.map((a) => row(a.app, a.report)) : []),
  ];
  const body = table(
    ["APP", "DEPLOYS", "PER WEEK", "BUCKET", "LEAD MEDIAN", "LEAD P90", "FAILURE RATE", "RECOVERY", "REWORK"],
    rows,
  );
  return `${lines.join("\n")}\n${body}${explain ? `\n${explanation(total)}` : ""}`;
}

function row(app: string, r: Report): string[] {
  return [
    app,
    String(r.deploymentFrequency.count),
    round(r.deploymentFrequency.perWeek),
    r.deploymentFrequency.bucket,
    duration(r.leadTime.medianSeconds),
    duration(r.leadTime.p90Seconds),
    rate(r.changeFailureRate.failed, r.changeFailureRate.total),
    `${duration(r.recoveryTime.medianSeconds)}${r.recoveryTime.unrecovered.length > 0 ? ` (${r.recoveryTime.unrecovered.length} open)` : ""}`,
    rate(r.reworkRate.count, r.reworkRate.total),
  ];
}

function explanation(r: Report): string {
  const out: string[] = [];
  const section = (title: string, items: readonly string[]) => {
    out.push(`${title}:`);
    out.push(...(items.length === 0 ? ["  none"] : items.map((i) => `  ${printable(i)}`)));
  };
  const who = (d: { deploymentId: string; appName: string; commitSha: string }) =>
    `${d.deploymentId} ${d.appName} ${d.commitSha.slice(0, 12)}`;
  section(
    `deployments that became available (${r.deploymentFrequency.count})`,
    r.deploymentFrequency.deployments.map(who),
  );
  section(
    "lead time (commit → available)",
    r.leadTime.changes.map(
      (c) => `${who(c)} committed ${c.commitTime} available ${c.availableAt}: ${duration(c.seconds)}`,
    ),
  );
  if (r.leadTime.withoutCommitTime.length > 0) {
    section("first arrivals without a commit time (not counted)", r.leadTime.withoutCommitTime.map(who));
  }
  section(
    `failed changes (${r.changeFailureRate.failed} of ${r.changeFailureRate.total})`,
    r.changeFailureRate.failures.map((f) => `${who(f)} at ${f.failedAt}: ${f.reason}`),
  );
  section("recoveries", [
    ...r.recoveryTime.recoveries.map(
      (x) =>
        `${x.deploymentId} failed ${x.failedAt}, ${x.recoveredBy} available ${x.recoveredAt}: ${duration(x.seconds)}`,
    ),
    ...r.recoveryTime.unrecovered.map((x) => `${x.deploymentId} failed ${x.failedAt}: not recovered`),
  ]);
  section(
    `rework (${r.reworkRate.count} of ${r.reworkRate.total})`,
    r.reworkRate.deployments.map((x) => `${who(x)} ${x.kind} after ${x.after}`),
  );
  return `${out.join("\n")}\n`;
}

function rate(part: number, whole: number): string {
  return whole === 0 ? "-" : `${round((100 * part) / whole)}% (${part}/${whole})`;
}

function round(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** `45s`, `12m`, `3h 5m`, `1h`, `2d 4h`, `1d`. */
export function duration(seconds: number | null): string {
  if (seconds === null) return "-";
  const s = Math.round(seconds);
  if (Math.abs(s) < 60) return `${s}s`;
  const m = Math.floor(Math.abs(s) / 60) * Math.sign(s);
  if (Math.abs(m) < 60) return `${m}m`;
  const h = Math.trunc(m / 60);
  const rest = (n: number, unit: string) => (n === 0 ? "" : ` ${Math.abs(n)}${unit}`);
  if (Math.abs(h) < 24) return `${h}h${rest(m % 60, "m")}`;
  return `${Math.trunc(h / 24)}d${rest(h % 24, "h")}`;
}
