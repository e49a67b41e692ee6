/**
 * `slipway check`: the policy engine on manifests (files, directories, stdin — e.g. `helm
 * template` output) or on an app rendered for a target. Human output grouped by object, or JSON,
 * or SARIF 2.1.0. Exit 0 when nothing enforced fails, 1 when an enforced rule fails, 2 for input
 * errors (an unparseable manifest names file:line).
 */
import type { Command } from "commander";
import { ErrorCode, isSlipwayError } from "../../core/errors.ts";
import type { ErrorData } from "../../policy/report/sarif.ts";
import type { CliIo } from "../io.ts";
import { json, parseOutput } from "../options.ts";

const formats = ["text", "json", "sarif"] as const;
export type CheckFormat = (typeof formats)[number];

export interface CheckOptions {
  file?: string[];
  app?: string;
  target?: string;
  platform?: string;
  image?: string;
  channel?: string;
  production?: boolean;
  mode?: string;
  kubeVersion?: string;
  requiredLabel?: string[];
  output?: string;
  listRules?: boolean;
}

export function registerCheck(program: Command, io: CliIo): void {
  program
    .command("check")
    .description("Check Kubernetes objects against the policy catalog (built-in and custom rules).")
    .argument(
      "[inputs...]",
      "manifest files or directories; - reads stdin (e.g. helm template … | slipway check -)",
    )
    .option("-f, --file <path>", "manifest file or directory (repeatable)", collect, [])
    .option("--app <dir>", "render this app (with --target) and check the result")
    .option("--target <target>", "channel name or preview:<branch> to render for (with --app)")
    .option("--platform <file>", "platform file: channel modes, custom rules, required labels")
    .option("--image <ref>", "image for --app, as repository@sha256:<digest>")
    .option("--channel <name>", "judge manifests as bound for this channel of the platform")
    .option("--production", "treat the target as production (when no platform file says)")
    .option(
      "--mode <mode>",
      "enforce or warn (default: the channel's mode from the platform file; enforce for loose manifests)",
    )
    .option("--kube-version <version>", "Kubernetes version the objects are for (deprecated API rules)")
    .option("--required-label <label>", "label every object must carry (repeatable)", collect, [])
    .option("--output <format>", "text, json or sarif", "text")
    .option("--list-rules", "list the catalog (built-in and the platform's custom rules) and exit")
    .action(async (inputs: string[], opts: CheckOptions) => {
      const format = parseOutput(opts.output, formats, "text");
      try {
        // The policy engine, the renderer and the parsers load when the command runs, not for --help.
        const { runCheck } = await import("./check-run.ts");
        await runCheck(inputs, opts, format, io);
      } catch (error) {
        // A pipeline that reads JSON or SARIF gets the failure in that format on stdout too; the
        // message (and the exit code) still reach stderr through the CLI's one error path.
        if (format === "json") io.out(json({ error: errorJson(error) }));
        if (format === "sarif") {
          const { sarifForFailure } = await import("../../policy/report/sarif.ts");
          io.out(json(sarifForFailure(errorJson(error))));
        }
        throw error;
      }
    });
}

/** A failure as data: its stable code, message and located problems (never a stack). */
function errorJson(error: unknown): ErrorData {
  if (isSlipwayError(error)) {
    return { code: error.code, message: error.message, problems: [...error.problems] };
  }
  return {
    code: ErrorCode.Internal,
    message: error instanceof Error ? error.message : String(error),
    problems: [],
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
