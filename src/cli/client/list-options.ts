/** What `slipway apps`, `releases` and `deployments` share: paging flags, the client, the hint for more. */
import type { Command } from "commander";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import type { CliIo } from "../io.ts";
import { printable } from "../table.ts";
import type { ApiClient } from "./api-client.ts";

export interface ListFlags {
  output?: string;
  limit: string;
  cursor?: string;
}

export function withListOptions(command: Command): Command {
  return command
    .option("-o, --output <format>", "text or json", "text")
    .option("--limit <n>", "rows per page (1-200)", "50")
    .option("--cursor <cursor>", "continue after a previous page");
}

export function pageOptions(flags: ListFlags): { limit: number; cursor?: string } {
  const limit = Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
    throw new SlipwayError(ErrorCode.Input, `--limit ${flags.limit} must be a whole number from 1 to 200`);
  }
  return { limit, ...(flags.cursor ? { cursor: flags.cursor } : {}) };
}

/** The client of the logged-in server; loaded on use, so that `--help` does not pay for the API schemas. */
export async function clientFor(io: CliIo): Promise<ApiClient> {
  const [{ ApiClient }, { readClientConfig }] = await Promise.all([
    import("./api-client.ts"),
    import("./config.ts"),
  ]);
  return new ApiClient(readClientConfig(io.env));
}

/** Tells people how to get the next page; stderr, so `--output json` stays clean. */
export function hintMore(io: CliIo, nextCursor: string | null): void {
  if (nextCursor !== null) io.err(`more: --cursor ${printable(nextCursor)}\n`);
}
