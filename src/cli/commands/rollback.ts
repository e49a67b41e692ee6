/** `slipway rollback <app> --channel <c> [--to <release>]`: the release available there before, deployed again. */
import type { Command } from "commander";
import { clientFor } from "../client/list-options.ts";
import type { CliIo } from "../io.ts";
import { json, OUTPUT_FORMATS, parseOutput } from "../options.ts";
import { printable } from "../table.ts";

export function registerRollback(program: Command, io: CliIo): void {
  program
    .command("rollback")
    .description(
      "Roll a channel back to the release available there before (or --to one), as a new deployment.",
    )
    .argument("<app>", "the app")
    .requiredOption("--channel <channel>", "the channel to roll back")
    .option(
      "--to <release>",
      "a release that was available in the channel (default: the one before the current)",
    )
    .option("--reason <text>", "why, kept with the rollback")
    .option("-o, --output <format>", "text or json", "text")
    .action(
      async (app: string, flags: { channel: string; to?: string; reason?: string; output?: string }) => {
        const format = parseOutput(flags.output, OUTPUT_FORMATS, "text");
        const result = await (await clientFor(io)).rollback(app, {
          channel: flags.channel,
          ...(flags.to === undefined ? {} : { to: flags.to }),
          ...(flags.reason === undefined ? {} : { reason: flags.reason }),
        });
        if (format === "json") return io.out(json(result));
        const d = result.deployment;
        io.out(
          `${[
            `rolling ${app} in ${result.channel} back to release ${result.release.id} (${result.release.imageDigest}), undoing ${result.undoes}`,
            `deployment ${d.id} (#${d.sequence}) queued as a rollback; follow it with: slipway deployments watch ${d.id}`,
          ]
            .map(printable)
            .join("\n")}\n`,
        );
      },
    );
}
