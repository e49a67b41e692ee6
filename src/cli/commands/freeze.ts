/**
 * `slipway freeze`: the platform-wide "stop the line". `set --reason` holds every promotion,
 * `lift` lets them go again (platform administrators); `show` says whether the line is stopped.
 */
import type { Command } from "commander";
import type { z } from "zod";
import type { lineStateSchema } from "../../api/promotion.ts";
import { clientFor } from "../client/list-options.ts";
import type { CliIo } from "../io.ts";
import { json, OUTPUT_FORMATS, parseOutput } from "../options.ts";
import { printable } from "../table.ts";

type LineState = z.infer<typeof lineStateSchema>;

export function registerFreeze(program: Command, io: CliIo): void {
  const freeze = program.command("freeze").description("Stop the line for every promotion, or resume it.");
  const print = (format: string | undefined, state: LineState) => {
    if (parseOutput(format, OUTPUT_FORMATS, "text") === "json") return io.out(json(state));
    io.out(
      state.stop === null
        ? "the line is running: promotions pass their gates as usual\n"
        : `${printable(`the line is stopped by ${state.stop.stoppedBy} since ${state.stop.stoppedAt}: ${state.stop.reason}`)}\n`,
    );
  };
  freeze
    .command("show")
    .description("Whether the line is stopped, by whom and why.")
    .option("-o, --output <format>", "text or json", "text")
    .action(async (flags: { output?: string }) => print(flags.output, await (await clientFor(io)).line()));
  freeze
    .command("set")
    .description("Stop the line: no promotion passes its gates until it is lifted (platform administrators).")
    .requiredOption("--reason <text>", "why, shown with every held promotion")
    .option("-o, --output <format>", "text or json", "text")
    .action(async (flags: { reason: string; output?: string }) =>
      print(flags.output, await (await clientFor(io)).stopLine(flags.reason)),
    );
  freeze
    .command("lift")
    .description("Resume the line (platform administrators).")
    .option("-o, --output <format>", "text or json", "text")
    .action(async (flags: { output?: string }) =>
      print(flags.output, await (await clientFor(io)).resumeLine()),
    );
}
