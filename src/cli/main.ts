/**
 * The `slipway` command: the CLI's composition root. Each command lives in its own file under
 * `commands/` and registers itself on the program; this file wires them and maps every failure to
 * one exit code (0 ok, 1 findings or a failed operation, 2 usage or input error).
 *
 * Start-up is on every command's path, so nothing loads before it is needed: the root `--help`
 * (and an unknown command) is printed from the table below without loading any command, and a
 * command loads only its own file, whose heavy imports (renderer, policy engine, schemas) wait
 * for its action to run. `main.test.ts` checks the table against the commands' own registrations.
 */
import { Command, CommanderError, Help } from "commander";
import { exitCodeFor, formatProblem, isSlipwayError } from "../core/errors.ts";
import { type CliIo, processIo } from "./io.ts";

export type CommandRegistrar = (program: Command, io: CliIo) => void;

interface CommandEntry {
  /** The command's line in the root help, exactly as commander prints it for the registration. */
  readonly term: string;
  readonly description: string;
  readonly load: () => Promise<CommandRegistrar>;
}

// One entry per top-level command name; keep sorted.
export const commands: Readonly<Record<string, CommandEntry>> = {
  apps: {
    term: "apps [options]",
    description: "List the apps of your teams.",
    load: async () => (await import("./commands/apps.ts")).registerApps,
  },
  check: {
    term: "check [options] [inputs...]",
    description: "Check Kubernetes objects against the policy catalog (built-in and custom rules).",
    load: async () => (await import("./commands/check.ts")).registerCheck,
  },
  deploy: {
    term: "deploy [options]",
    description: "Render an app for a target and apply it to the target's cluster or GitOps repository.",
    load: async () => (await import("./commands/deploy.ts")).registerDeploy,
  },
  deployments: {
    term: "deployments [options] <app>",
    description: "List an app's deployments, newest first.",
    load: async () => (await import("./commands/deployments.ts")).registerDeployments,
  },
  diff: {
    term: "diff [options]",
    description: "Show what deploying an app would change on its target, secret values redacted.",
    load: async () => (await import("./commands/diff.ts")).registerDiff,
  },
  dora: {
    term: "dora [options]",
    description: "Show DORA's delivery numbers for a team or an app in the production channel.",
    load: async () => (await import("./commands/dora.ts")).registerDora,
  },
  export: {
    term: "export",
    description: "Export an app in another tool's format.",
    load: async () => (await import("./commands/export.ts")).registerExport,
  },
  freeze: {
    term: "freeze",
    description: "Stop the line for every promotion, or resume it.",
    load: async () => (await import("./commands/freeze.ts")).registerFreeze,
  },
  history: {
    term: "history [options] <app>",
    description: "Show every release and deployment of an app, newest first, with what each replaced.",
    load: async () => (await import("./commands/history.ts")).registerHistory,
  },
  init: {
    term: "init [options] [dir]",
    description: "Write a commented starter slipway.yaml for the project in <dir>.",
    load: async () => (await import("./commands/init.ts")).registerInit,
  },
  login: {
    term: "login [options]",
    description: "Log in to a Slipway server with an API token (read from stdin unless --token is given).",
    load: async () => (await import("./commands/login.ts")).registerLogin,
  },
  promote: {
    term: "promote [options] <app>",
    description: "Promote the release available in the channel before --to into it, once its gates pass.",
    load: async () => (await import("./commands/promote.ts")).registerPromote,
  },
  release: {
    term: "release",
    description: "Create a release from a commit of the app's repository and an image digest.",
    load: async () => (await import("./commands/release.ts")).registerRelease,
  },
  releases: {
    term: "releases [options] <app>",
    description: "List an app's releases, newest first.",
    load: async () => (await import("./commands/releases.ts")).registerReleases,
  },
  render: {
    term: "render [options]",
    description: "Render an app for a channel or a branch preview into Kubernetes objects.",
    load: async () => (await import("./commands/render.ts")).registerRender,
  },
  rollback: {
    term: "rollback [options] <app>",
    description:
      "Roll a channel back to the release available there before (or --to one), as a new deployment.",
    load: async () => (await import("./commands/rollback.ts")).registerRollback,
  },
  secrets: {
    term: "secrets",
    description: "SOPS-compatible encrypted files: encrypt, decrypt, edit, set, unset, rotate, updatekeys.",
    load: async () => (await import("./commands/secrets.ts")).registerSecrets,
  },
  serve: {
    term: "serve [options]",
    description: "Run the Slipway server: its API for the CLI and CI, the engine, and a status page.",
    load: async () => (await import("./commands/serve.ts")).registerServe,
  },
  status: {
    term: "status [options] <app>",
    description: "Show an app's channels: what each runs, and the gates of the next promotion into it.",
    load: async () => (await import("./commands/status.ts")).registerStatus,
  },
  "upgrade-check": {
    term: "upgrade-check [options] [inputs...]",
    description: "List objects whose API version a target Kubernetes version deprecates or removes.",
    load: async () => (await import("./commands/upgrade-check.ts")).registerUpgradeCheck,
  },
  validate: {
    term: "validate [options]",
    description: "Check an app's slipway.yaml and the platform file; report every problem at once.",
    load: async () => (await import("./commands/validate.ts")).registerValidate,
  },
};

/**
 * The program for `argv`: with the named command registered for real, or, when no known command
 * is named (root help, an unknown command, no arguments), every command as a stub from the table
 * that is enough for the root help and commander's "did you mean". `everyCommand` registers all
 * of them for real (to check the table against them).
 */
export async function buildProgram(
  io: CliIo,
  argv: readonly string[] = [],
  options: { everyCommand?: boolean } = {},
): Promise<Command> {
  const program = new Command("slipway")
    .description(
      "Slipway: one slipway.yaml per service, from a commit through release channels to production on Kubernetes.",
    )
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride()
    // A command parses each schema about once, and zod's fast path (a function it generates and
    // compiles per object schema on first use) costs more to build than it saves: about 10 ms of
    // a render's 150. The server, which parses for as long as it runs, keeps it. Set before the
    // action loads any schema, since zod reads the setting when a schema is built.
    .hook("preAction", async (_program, command) => {
      if (command.name() !== "serve") (await import("zod")).config({ jitless: true });
    });
  if (options.everyCommand === true) {
    for (const register of await Promise.all(Object.values(commands).map((c) => c.load())))
      register(program, io);
    return program;
  }
  const name = commandName(argv);
  const entry = name === undefined ? undefined : commands[name];
  if (entry !== undefined) {
    (await entry.load())(program, io);
    return program;
  }
  for (const [stub, { description }] of Object.entries(commands))
    program.command(stub).description(description);
  program.configureHelp({
    subcommandTerm(this: Help, cmd: Command) {
      return commands[cmd.name()]?.term ?? Help.prototype.subcommandTerm.call(this, cmd);
    },
  });
  return program;
}

/**
 * The command `argv` names: its first word (the root has no option taking a value), or the word
 * after `help`. A `--help` before any word asks for the root help: no command.
 */
function commandName(argv: readonly string[]): string | undefined {
  const words: string[] = [];
  for (const arg of argv) {
    if ((arg === "-h" || arg === "--help") && words.length === 0) return undefined;
    if (!arg.startsWith("-")) words.push(arg);
  }
  const [first, second] = words;
  return first === "help" && second !== undefined ? second : first;
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
