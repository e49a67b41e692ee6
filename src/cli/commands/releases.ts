/** `slipway releases <app>`: an app's releases, newest first. */
import type { Command } from "commander";
import { clientFor, hintMore, type ListFlags, pageOptions, withListOptions } from "../client/list-options.ts";
import type { CliIo } from "../io.ts";
import { json, OUTPUT_FORMATS, parseOutput } from "../options.ts";
import { shortTime, table } from "../table.ts";

export function registerReleases(program: Command, io: CliIo): void {
  withListOptions(program.command("releases").description("List an app's releases, newest first."))
    .argument("<app>", "the app")
    .action(async (app: string, flags: ListFlags) => {
      const format = parseOutput(flags.output, OUTPUT_FORMATS, "text");
      const page = await (await clientFor(io)).listReleases(app, pageOptions(flags));
      if (format === "json") return io.out(json(page));
      io.out(
        table(
          ["RELEASE", "COMMIT", "IMAGE DIGEST", "CREATED", "BY"],
          page.items.map((r) => [
            r.id,
            r.commitSha.slice(0, 12),
            `${r.imageDigest.slice(0, 19)}…`,
            shortTime(r.createdAt),
            r.createdBy,
          ]),
        ),
      );
      hintMore(io, page.nextCursor);
    });
}
