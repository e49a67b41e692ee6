/** `slipway login`: check a token against a server and remember both for the other commands. */
import type { Command } from "commander";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import type { CliIo } from "../io.ts";
import { printable } from "../table.ts";

export function registerLogin(program: Command, io: CliIo): void {
  program
    .command("login")
    .description("Log in to a Slipway server with an API token (read from stdin unless --token is given).")
    .requiredOption("--server <url>", "the server, e.g. http://127.0.0.1:8080")
    .option("--token <token>", "the API token (prefer stdin: a flag ends up in shell history)")
    .action(async (flags: { server: string; token?: string }) => {
      if (!URL.canParse(flags.server)) {
        throw new SlipwayError(
          ErrorCode.Input,
          `--server "${flags.server}" is not a URL (e.g. http://127.0.0.1:8080)`,
        );
      }
      if (flags.token === undefined && io.isTty)
        io.err("paste your API token and press Enter, then Ctrl-D:\n");
      const token = (flags.token ?? (await io.readStdin())).trim();
      if (token === "") {
        throw new SlipwayError(ErrorCode.Input, "no token given: pass --token or pipe it on stdin");
      }
      // Loaded when the command runs: `--help` does not pay for the API schemas.
      const [{ ApiClient }, { writeClientConfig }] = await Promise.all([
        import("../client/api-client.ts"),
        import("../client/config.ts"),
      ]);
      const me = await new ApiClient({ server: flags.server, token }).whoami();
      const file = writeClientConfig(io.env, { server: flags.server, token });
      const roles = me.memberships.map((m) => `${m.role} in ${m.teamName}`).join(", ");
      // Names come from the server (and its identity provider): printed as data, never as control codes.
      io.out(
        `${printable(
          `logged in to ${flags.server} as ${me.user.displayName} (${me.user.subject})` +
            `${me.user.isAdmin ? ", platform administrator" : ""}${roles ? `; ${roles}` : ""}`,
        )}\n`,
      );
      io.err(`saved to ${file}\n`);
    });
}
