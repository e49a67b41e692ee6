/**
 * `slipway deployments <app>`: where an app's releases went, newest first.
 * `slipway deployments watch <id>`: one deployment live until it settles (exit 0 available, 1 not).
 */
import type { Command } from "commander";
import { clientFor, hintMore, type ListFlags, pageOptions, withListOptions } from "../client/list-options.ts";
import type { CliIo } from "../io.ts";
import { json, OUTPUT_FORMATS, parseOutput } from "../options.ts";
import { printable, shortTime, table } from "../table.ts";

export function registerDeployments(program: Command, io: CliIo): void {
  const deployments = program.command("deployments");
  deployments
    .command("watch")
    .description("Show one deployment's status live until it is available (exit 0) or fails (exit 1).")
    .argument("<deployment>", "the deployment's id (dep_…)")
    .option("-o, --output <format>", "text, or json: one event per line (default: text)")
    .action(async (id: string, flags: { output?: string }, command: Command) => {
      // The list's own --output is the same flag: commander hands it to the parent command.
      const output = flags.output ?? (command.parent?.opts() as { output?: string } | undefined)?.output;
      const format = parseOutput(output, OUTPUT_FORMATS, "text");
      await watchDeployment(io, id, format === "json");
    });
  withListOptions(deployments.description("List an app's deployments, newest first."))
    .argument("<app>", "the app")
    .option("--target <name>", "only this channel or preview")
    .action(async (app: string, flags: ListFlags & { target?: string }) => {
      const format = parseOutput(flags.output, OUTPUT_FORMATS, "text");
      const page = await (await clientFor(io)).listDeployments(
        app,
        { target: flags.target },
        pageOptions(flags),
      );
      if (format === "json") return io.out(json(page));
      io.out(
        table(
          ["TARGET", "#", "STATUS", "RELEASE", "STARTED", "AVAILABLE"],
          page.items.map((d) => [
            d.targetName,
            String(d.sequence),
            d.status,
            d.releaseId,
            shortTime(d.startedAt),
            shortTime(d.availableAt),
          ]),
        ),
      );
      hintMore(io, page.nextCursor);
    });
}

async function watchDeployment(io: CliIo, id: string, asJson: boolean): Promise<void> {
  const [{ statusEvents }, { readClientConfig }, { settledStatuses }] = await Promise.all([
    import("../client/event-stream.ts"),
    import("../client/config.ts"),
    import("../../api/events.ts"),
  ]);
  const config = readClientConfig(io.env);
  let first = true;
  for await (const event of statusEvents({
    ...config,
    deployment: id,
    onReconnect: (why) => io.err(`${why}\n`),
  })) {
    if (asJson) {
      io.out(`${JSON.stringify(event)}\n`);
    } else {
      if (first) {
        io.out(
          `${printable(event.deploymentId)}: ${printable(event.appName)} → ${printable(event.targetName)} (release ${printable(event.releaseId)})\n`,
        );
      }
      io.out(`${event.at.slice(11, 19)}  ${event.status.padEnd(11)}  ${printable(event.message)}\n`);
    }
    first = false;
    if ((settledStatuses as readonly string[]).includes(event.status)) {
      if (event.status !== "available") io.setExitCode(1);
      return;
    }
  }
}
