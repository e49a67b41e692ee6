/**
 * The `slipway` command: the CLI's composition root. Each command lives in its own file under
 * `commands/` and registers itself on the program; this file wires them and maps every failure to
 * one exit code (0 ok, 1 findings or a failed operation, 2 usage or input error).
 */
import { Command, CommanderError } from "commander";
import { exitCodeFor, formatProblem, isSlipwayError } from "../core/errors.ts";
import { registerApps } from "./commands/apps.ts";
import { registerCheck } from "./commands/check.ts";
import { registerDeploy } from "./commands/deploy.ts";
import { registerDeployments } from "./commands/deployments.ts";
import { registerDiff } from "./commands/diff.ts";
import { registerExport } from "./commands/export.ts";
import { registerInit } from "./commands/init.ts";
import { registerLogin } from "./commands/login.ts";
import { registerReleases } from "./commands/releases.ts";
import { registerRender } from "./commands/render.ts";
import { registerSecrets } from "./commands/secrets.ts";
import { registerServe } from "./commands/serve.ts";
import { registerUpgradeCheck } from "./commands/upgrade-check.ts";
import { registerValidate } from "./commands/validate.ts";
import { type CliIo, processIo } from "./io.ts";

export type CommandRegistrar = (program: Command, io: CliIo) => void;

// One line per command file; keep sorted.
const registrars: CommandRegistrar[] = [
  registerApps,
  registerCheck,
  registerDeploy,
  registerDeployments,
  registerDiff,
  registerExport,
  registerInit,
  registerLogin,
  registerReleases,
  registerRender,
  registerSecrets,
  registerServe,
  registerUpgradeCheck,
  registerValidate,
];

export function buildProgram(io: CliIo): Command {
  const program = new Command("slipway")
    .description("Slipway: one slipway.yaml per service, from a branch push to production on Kubernetes.")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  for (const register of registrars) register(program, io);
  return program;
}

/** Runs the CLI with `argv` (without the node and script names) and resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
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

// `node src/cli/main.ts …` (what `npm start` runs) is the CLI itself; `bin/slipway.js` imports it.
if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
