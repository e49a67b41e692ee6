/**
 * `slipway status <app>`: the channel matrix — per channel the release, digest, commit, state and
 * age, and the gates of the next promotion into it, with the reasons of those that do not pass.
 */
import type { Command } from "commander";
import type { AppStatus } from "../../api/promotion.ts";
import { clientFor } from "../client/list-options.ts";
import type { CliIo } from "../io.ts";
import { json, OUTPUT_FORMATS, parseOutput } from "../options.ts";
import { printable, table } from "../table.ts";

export function registerStatus(program: Command, io: CliIo): void {
  program
    .command("status")
    .description("Show an app's channels: what each runs, and the gates of the next promotion into it.")
    .argument("<app>", "the app")
    .option("-o, --output <format>", "text or json", "text")
    .action(async (app: string, flags: { output?: string }) => {
      const format = parseOutput(flags.output, OUTPUT_FORMATS, "text");
      const status = await (await clientFor(io)).status(app);
      if (format === "json") return io.out(json(status));
      io.out(statusText(status));
    });
}

type Gate = { gate: string; state: string; reason: string; waitSeconds: number | null };

/** One line per gate that does not pass yet (and a tick for those that do). */
export function gateLines(gates: readonly Gate[]): string[] {
  return gates.map(
    (g) => `  ${g.state === "pass" ? "✓" : g.state === "fail" ? "✗" : "…"} ${g.gate}: ${g.reason}`,
  );
}

export function age(seconds: number | null): string {
  if (seconds === null) return "-";
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

function statusText(s: AppStatus): string {
  const rows = s.channels.map((c) => {
    const state =
      c.latest === null
        ? (c.live?.status ?? "-")
        : `${c.live?.status ?? "none"}; #${c.latest.sequence} ${c.latest.status}`;
    const next =
      c.next === null
        ? "-"
        : c.next.upToDate
          ? `up to date with ${c.next.from}`
          : c.next.gates === null
            ? "-"
            : `${c.next.releaseId} from ${c.next.from}: ${c.next.gates.state}`;
    return [
      c.name + (c.promote === "auto" ? " (auto)" : ""),
      c.release?.id ?? "-",
      c.release === null ? "-" : c.release.digest.slice(0, 19),
      c.release === null ? "-" : c.release.commitSha.slice(0, 12),
      state,
      age(c.ageSeconds),
      next,
    ];
  });
  const lines = [`${printable(s.app)} (team ${printable(s.team)})`];
  if (s.line.stop !== null) {
    lines.push(
      printable(
        `THE LINE IS STOPPED by ${s.line.stop.stoppedBy} since ${s.line.stop.stoppedAt}: ${s.line.stop.reason}`,
      ),
    );
  }
  lines.push(
    table(["CHANNEL", "RELEASE", "DIGEST", "COMMIT", "STATE", "AGE", "NEXT PROMOTION"], rows).trimEnd(),
  );
  for (const c of s.channels) {
    if (c.next === null || c.next.upToDate) continue;
    if (c.next.gates === null) {
      if (c.next.note !== null) lines.push("", printable(`into ${c.name}: ${c.next.note}`));
      continue;
    }
    if (c.next.gates.state === "pass") continue;
    lines.push(
      "",
      printable(`into ${c.name} (${c.next.releaseId} from ${c.next.from}):`),
      ...gateLines(c.next.gates.gates).map(printable),
    );
  }
  return `${lines.join("\n")}\n`;
}
