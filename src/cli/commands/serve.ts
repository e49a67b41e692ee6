/**
 * `slipway serve`: the Slipway server. On its defaults it needs nothing else: SQLite and the GitOps
 * directory under `.slipway/`, listening on 127.0.0.1:8080. Runs until SIGINT or SIGTERM.
 */
import type { Command } from "commander";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import type { CliIo } from "../io.ts";

interface ServeFlags {
  data: string;
  database?: string;
  listen: string;
  demo?: boolean;
  examples: string;
  platform?: string;
  oidcIssuer?: string;
  oidcAudience?: string;
  readCache: boolean;
  allowLocalRepositories?: boolean;
  deployTimeout: string;
}

/** `90s`, `15m`, `1h`: a deployment's overall deadline. */
export function parseDuration(flag: string, text: string): number {
  const match = /^(\d{1,6})(ms|s|m|h)$/.exec(text.trim());
  const ms = match ? Number(match[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as "s"] : 0;
  if (ms < 1_000 || ms > 24 * 3_600_000) {
    throw new SlipwayError(
      ErrorCode.Input,
      `${flag} ${text} must be a duration from 1s to 24h, such as 90s, 15m or 1h`,
    );
  }
  return ms;
}

export function registerServe(program: Command, io: CliIo): void {
  program
    .command("serve")
    .description("Run the Slipway server: its API for the CLI and CI, the engine, and a status page.")
    .option("--data <dir>", "data directory: the SQLite file and the GitOps directory", ".slipway")
    .option(
      "--database <postgres-url>",
      "keep state in PostgreSQL instead of SQLite (env SLIPWAY_DATABASE_URL)",
    )
    .option("--listen <addr>", "host:port to listen on", "127.0.0.1:8080")
    .option(
      "--demo",
      "register the example apps, release them from a git repository of the examples and promote them through the channels with the engine (one waiting for an approval, one rejected)",
    )
    .option("--examples <dir>", "where --demo finds the example apps", "examples")
    .option(
      "--platform <file>",
      "the platform file, the server's one source of channels and clusters (default: $SLIPWAY_PLATFORM, else built-in defaults; with --demo, the examples' platform file); re-read when it changes or on SIGHUP, and a file that fails validation keeps the last good one",
    )
    .option("--oidc-issuer <url>", "accept OIDC tokens from this issuer (single sign-on)")
    .option("--oidc-audience <aud>", "the audience OIDC tokens must carry (the client id)")
    .option(
      "--allow-local-repositories",
      "let releases read repositories on this machine's disk (absolute paths, file:// URLs); on with --demo (env SLIPWAY_ALLOW_LOCAL_REPOSITORIES=1)",
    )
    .option(
      "--deploy-timeout <duration>",
      "each deployment's overall deadline, from when the engine first takes it up (render, apply and rollout); past it the deployment fails with the stage it was in and is not applied again",
      "15m",
    )
    .option(
      "--no-read-cache",
      "answer every read from the database (diagnosis, benchmarks); by default repeated reads are served from memory until the state changes",
    )
    .action(async (flags: ServeFlags) => {
      if ((flags.oidcIssuer === undefined) !== (flags.oidcAudience === undefined)) {
        throw new SlipwayError(
          ErrorCode.Input,
          "--oidc-issuer and --oidc-audience go together: give both or neither",
        );
      }
      const databaseUrl = flags.database ?? io.env.SLIPWAY_DATABASE_URL;
      const deployTimeoutMs = parseDuration("--deploy-timeout", flags.deployTimeout);
      // Loaded here, not at the top: the rest of the CLI should not pay for the server's stack.
      const { startServer } = await import("../../server/main.ts");
      const server = await startServer({
        dataDir: flags.data,
        databaseUrl,
        listen: flags.listen,
        demo: flags.demo === true,
        readCache: flags.readCache,
        allowLocalRepositories:
          flags.allowLocalRepositories === true || io.env.SLIPWAY_ALLOW_LOCAL_REPOSITORIES === "1",
        examplesDir: flags.examples,
        platformFile: flags.platform,
        env: io.env,
        engine: { timeoutMs: deployTimeoutMs },
        oidc:
          flags.oidcIssuer && flags.oidcAudience
            ? { issuer: flags.oidcIssuer, audience: flags.oidcAudience }
            : undefined,
        log: (line) => io.err(`${line}\n`),
      });
      // One write: whoever watches for "listening on" sees the token in the same line block.
      const banner = [`Slipway server listening on ${server.url}`];
      if (server.adminToken !== undefined) {
        banner.push(
          "",
          "First start: an administrator token was created. It is shown only this once; keep it safe.",
          `  ${server.adminToken}`,
          `Open ${server.url} in a browser and paste the token there to see the apps,`,
          `or log in from a terminal:  slipway login --server ${server.url}   (and paste the token)`,
          "",
        );
      } else {
        banner.push("Open it in a browser and paste an API token to see the apps.");
      }
      io.out(`${banner.join("\n")}\n`);
      // SIGHUP re-reads the platform file now (it is also re-read when it changes on disk).
      const reload = () => void server.platform.reload();
      process.on("SIGHUP", reload);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      process.off("SIGHUP", reload);
      io.err("shutting down\n");
      await server.close();
    });
}
