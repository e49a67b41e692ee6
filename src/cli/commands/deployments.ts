/** `slipway deployments <app>`: where an app's releases went, newest first. */
import type { Command } from "commander";
import { clientFor, hintMore, type ListFlags, pageOptions, withListOptions } from "../client/list-options.ts";
import type { CliIo } from "../io.ts";
import { json, OUTPUT_FORMATS, parseOutput } from "../options.ts";
import { shortTime, table } from "../table.ts";

export function registerDeployments(program: Command, io: CliIo): void {
  withListOptions(program.command("deployments").description("List an app's deployments, newest first."))
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
