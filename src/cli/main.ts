/**
 * The `slipway` command: the CLI's composition root. Each command lives in its own file under
 * `commands/` and registers itself on the program; this file wires them and maps every failure to
 * one exit code (0 ok, 1 findings or a failed operation, 2 usage or input error).
 *
 * Commands are loaded on demand: `slipway check` loads the policy engine and not the Kubernetes
 * client, the server or the SOPS code. Only `--help` and an unknown command load them all.
 */
import { Command, CommanderError } from "commander";
import { exitCodeFor, formatProblem, isSlipwayError } from "../core/errors.ts";
import { type CliIo, processIo } from "./io.ts";

export type CommandRegistrar = (program: Command, io: CliIo) => void;

// One entry per top-level command name; keep sorted.
const commands: Record<string, () => Promise<CommandRegistrar>> = {
  apps: async () => (await import("./commands/apps.ts")).registerApps,
  check: async () => (await import("./commands/check.ts")).registerCheck,
  deploy: async () => (await import("./commands/deploy.ts")).registerDeploy,
  deployments: async () => (await import("./commands/deployments.ts")).registerDeployments,
  diff: async () => (await import("./commands/diff.ts")).registerDiff,
  export: async () => (await import("./commands/export.ts")).registerExport,
  init: async () => (await import("./commands/init.ts")).registerInit,
  login: async () => (await import("./commands/login.ts")).registerLogin,
  releases: async () => (await import("./commands/releases.ts")).registerReleases,
  render: async () => (await import("./commands/render.ts")).registerRender,
  secrets: async () => (await import("./commands/secrets.ts")).registerSecrets,
  serve: async () => (await import("./commands/serve.ts")).registerServe,
  "upgrade-check": async () => (await import("./commands/upgrade-check.ts")).registerUpgradeCheck,
  validate: async () => (await import("./commands/validate.ts")).registerValidate,
};

export async function buildProgram(io: CliIo, argv: readonly string[] = []): Promise<Command> {
  const program = new Command("slipway")
    .description("Slipway: one slipway.yaml per service, from a branch push to production on Kubernetes.")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  const first = argv[0];
  const names = first !== undefined && first in commands ? [first] : Object.keys(commands);
  for (const register of await Promise.all(names.map((name) => commands[name]!()))) register(program, io);
  return program;
}

/** Runs the CLI with `argv` (without the node and script names) and resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    const program = await buildProgram(io, argv);
    await program.parseAsync([...argv], { from: "user" });
    return io.exitCode();
  } catch (error) {
    return reportFailure(error, io);
  }
}

function reportFailure(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // help and version print and exit 0; any other parse failure is a usage error.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (isSlipwayError(error)) {
    io.err(`error: ${error.message}\n`);
    for (const problem of error.problems) io.err(`  ${formatProblem(problem)}\n`);
    return exitCodeFor(error.code);
  }
  io.err(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
}

// `node src/cli/main.ts …` in a checkout runs the CLI too (bin/slipway.js is the installed entry).
if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
