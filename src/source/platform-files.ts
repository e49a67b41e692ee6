/**
 * The operator's platform as it lies on disk: the platform file (`--platform`, else
 * $SLIPWAY_PLATFORM, else the built-in default) and the custom policy rules in the directory it
 * names. The CLI reads it once per command; the server reads it at start and again on reload.
 */
import { readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { builtinRules } from "../policy/catalog.ts";
import { parseCustomRules, type RuleFile } from "../policy/custom/parse.ts";
import type { Rule } from "../policy/types.ts";
import { displayPath, loadPlatformFile, readUserFile } from "../spec/files.ts";
import type { LoadedPlatform } from "../spec/parse.ts";

export interface PlatformWithRules {
  readonly platform: LoadedPlatform;
  readonly customRules: readonly Rule[];
}

/** The platform and its custom rules, or one SlipwayError naming the file and every problem. */
export function loadPlatformWithRules(
  explicit: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): PlatformWithRules {
  const platform = loadPlatformFile(explicit, env);
  return { platform, customRules: readCustomRules(platform) };
}

/**
 * The custom rules of a platform: the directory its `policy.customRules` names, relative to the
 * platform file. Render, deploy, check and the server call this, so they all run the same catalog.
 */
export function readCustomRules(platform: LoadedPlatform): Rule[] {
  const dir = platform.platform.policy?.customRules;
  if (dir === undefined) return [];
  const base = platform.source?.file ? dirname(resolve(platform.source.file)) : process.cwd();
  return parseCustomRules(readRuleFiles(resolve(base, dir)), new Set(builtinRules.map((r) => r.id)));
}

export function readRuleFiles(dir: string): RuleFile[] {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (error) {
    throw new SlipwayError(
      ErrorCode.PlatformInvalid,
      `custom rules directory ${displayPath(dir)} does not exist`,
      {
        cause: error,
      },
    );
  }
  if (!isDir)
    throw new SlipwayError(
      ErrorCode.PlatformInvalid,
      `custom rules path ${displayPath(dir)} is not a directory`,
    );
  return ruleFilesBelow(dir).map((path) => ({
    path: displayPath(path),
    text: readUserFile(path, "custom rule file"),
  }));
}

/** Every .yaml/.yml file below `dir`, in sorted order. */
function ruleFilesBelow(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...ruleFilesBelow(path));
    else if (/\.ya?ml$/i.test(entry.name)) out.push(path);
  }
  return out;
}
