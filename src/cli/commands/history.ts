/** `slipway history <app>`: every release and deployment of an app, newest first, never pruned. */
import type { Command } from "commander";
import { clientFor, hintMore, type ListFlags, pageOptions, withListOptions } from "../client/list-options.ts";
import type { CliIo } from "../io.ts";
import { json, OUTPUT_FORMATS, parseOutput } from "../options.ts";
import { shortTime, table } from "../table.ts";

export function registerHistory(program: Command, io: CliIo): void {
  withListOptions(
    program
      .command("history")
      .description("Show every release and deployment of an app, newest first, with what each replaced."),
  )
    .argument("<app>", "the app")
    .action(async (app: string, flags: ListFlags) => {
      const format = parseOutput(flags.output, OUTPUT_FORMATS, "text");
      const page = await (await clientFor(io)).history(app, pageOptions(flags));
      if (format === "json") return io.out(json(page));
      io.out(
        table(
          [
            "WHEN",
            "WHAT",
            "ID",
            "CHANNEL",
            "#",
            "STATUS",
            "RELEASE",
            "COMMIT",
            "COMMITTED",
            "AVAILABLE",
            "FAILED",
            "BY",
            "REPLACED",
          ],
          page.items.map((item) =>
            item.kind === "release"
              ? [
                  shortTime(item.at),
                  "release",
                  item.releaseId,
                  "-",
                  "-",
                  "-",
                  "-",
                  item.commitSha.slice(0, 12),
                  utcTime(item.commitTime),
                  "-",
                  "-",
                  item.createdBy,
                  "-",
                ]
              : [
                  shortTime(item.at),
                  "deployment",
                  item.deploymentId,
                  item.targetName,
                  String(item.sequence),
                  item.status,
                  item.releaseId,
                  item.commitSha.slice(0, 12),
                  utcTime(item.commitTime),
                  shortTime(item.availableAt),
                  shortTime(item.failedAt),
                  item.createdBy,
                  item.replaces === null ? "-" : `#${item.replaces.sequence} ${item.replaces.deploymentId}`,
                ],
          ),
        ),
      );
      hintMore(io, page.nextCursor);
    });
}

/** Any ISO-8601 time (a commit's may carry an offset), shown in UTC like the rest of the table. */
function utcTime(time: string | null): string {
  return shortTime(time === null ? null : new Date(time).toISOString());
}
