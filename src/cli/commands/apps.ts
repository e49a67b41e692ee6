/** `slipway apps`: the apps of your teams, as a table or `--output json` (the API's page). */
import type { Command } from "commander";
import { clientFor, hintMore, type ListFlags, pageOptions, withListOptions } from "../client/list-options.ts";
import type { CliIo } from "../io.ts";
import { json, OUTPUT_FORMATS, parseOutput } from "../options.ts";
import { shortTime, table } from "../table.ts";

export function registerApps(program: Command, io: CliIo): void {
  withListOptions(program.command("apps").description("List the apps of your teams.")).action(
    async (flags: ListFlags) => {
      const format = parseOutput(flags.output, OUTPUT_FORMATS, "text");
      const page = await (await clientFor(io)).listApps(pageOptions(flags));
      if (format === "json") return io.out(json(page));
      io.out(
        table(
          ["NAME", "TEAM", "UPDATED", "DESCRIPTION"],
          page.items.map((a) => [a.name, a.teamName, shortTime(a.updatedAt), a.description]),
        ),
      );
      hintMore(io, page.nextCursor);
    },
  );
}
