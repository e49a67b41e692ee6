/**
 * Reading what `slipway check` and `slipway upgrade-check` are given: files, directories (every
 * .yaml/.yml/.json below, in sorted order) and `-` for stdin; and the custom rules directory the
 * platform file names. The I/O edge around the pure parsers in `src/policy`.
 */
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { type ParseOptions, parseManifests, type SourcedObject } from "../policy/manifests.ts";
import { displayPath, readUserFile } from "../spec/files.ts";
import type { CliIo } from "./io.ts";

const manifestFile = /\.(ya?ml|json)$/i;

/** One manifest file at most; past it (and well before V8's string limit) it is refused by name. */
export const MAX_MANIFEST_BYTES = 256 * 2 ** 20;

function filesBelow(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesBelow(path));
    else if (manifestFile.test(entry.name)) out.push(path);
  }
  return out;
}

function expand(input: string, cwd: string): string[] {
  const path = resolve(cwd, input);
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (error) {
    throw new SlipwayError(ErrorCode.Input, `manifest path ${input} does not exist`, { cause: error });
  }
  if (!isDir) return [path];
  const files = filesBelow(path);
  if (files.length === 0)
    throw new SlipwayError(ErrorCode.Input, `directory ${input} holds no .yaml, .yml or .json files`);
  return files;
}

/**
 * Every object of the inputs. No objects at all is an input error, never a pass: an empty stdin
 * is what `helm template … | slipway check -` receives when helm fails in a shell without
 * `pipefail`, and a gate that passes then lets anything through.
 */
export async function readManifestInputs(
  inputs: readonly string[],
  io: CliIo,
  options: ParseOptions = {},
): Promise<SourcedObject[]> {
  const out: SourcedObject[] = [];
  for (const input of inputs) {
    if (input === "-") {
      const objects = parseManifests(await io.readStdin(), "<stdin>", options);
      if (objects.length === 0) {
        throw new SlipwayError(
          ErrorCode.Input,
          "stdin holds no Kubernetes objects: did the command that feeds it (e.g. `helm template`) fail? " +
            "Run the pipeline with `set -o pipefail` so its failure stops the job",
        );
      }
      out.push(...objects);
      continue;
    }
    for (const file of expand(input, io.cwd)) {
      if (statSync(file).size > MAX_MANIFEST_BYTES) {
        throw new SlipwayError(
          ErrorCode.Input,
          `manifest ${displayPath(file, io.cwd)} is larger than ${MAX_MANIFEST_BYTES / 2 ** 20} MiB; split it into several files`,
        );
      }
      out.push(...parseManifests(readUserFile(file, "manifest"), displayPath(file, io.cwd), options));
    }
  }
  if (out.length === 0) {
    throw new SlipwayError(
      ErrorCode.Input,
      `${inputs.join(", ")} hold${inputs.length === 1 ? "s" : ""} no Kubernetes objects (only empty documents or comments): check the path, or whether the tool that wrote it (e.g. \`helm template\`) failed`,
    );
  }
  return out;
}

// The platform's custom rules are read where the server reads them too.
export { readCustomRules, readRuleFiles } from "../source/platform-files.ts";
