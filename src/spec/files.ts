/**
 * Reading `slipway.yaml` and the platform file from disk: the thin I/O edge around the pure
 * parsers. The platform file is `--platform` when given, else the nearest `slipway.platform.yaml`
 * in the app's directory or above it, else the built-in default platform.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import {
  defaultPlatform,
  type LoadedApp,
  type LoadedPlatform,
  parseAppSpec,
  parsePlatform,
} from "./parse.ts";

export const APP_FILE = "slipway.yaml";
export const PLATFORM_FILE = "slipway.platform.yaml";

/** A path as the user should read it in messages: relative to the working directory when inside it. */
export function displayPath(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") ? rel : path;
}

export function readUserFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "does not exist"
        : code === "EACCES"
          ? "cannot be read (permission denied)"
          : String(error);
    throw new SlipwayError(ErrorCode.Input, `${what} ${displayPath(path)} ${reason}`, { cause: error });
  }
}

/** `dirOrFile` is an app directory (holding slipway.yaml) or the spec file itself. */
export function appFilePath(dirOrFile: string): string {
  const path = resolve(dirOrFile);
  if (existsSync(path) && statSync(path).isDirectory()) return join(path, APP_FILE);
  return path;
}

export function loadPlatformFile(explicit: string | undefined, appDir: string | undefined): LoadedPlatform {
  const file = explicit ? resolve(explicit) : appDir ? findUp(resolve(appDir), PLATFORM_FILE) : undefined;
  if (!file) return defaultPlatform();
  return parsePlatform(readUserFile(file, "platform file"), displayPath(file));
}

export function loadApp(dirOrFile: string, platform?: LoadedPlatform): LoadedApp {
  const file = appFilePath(dirOrFile);
  const text = readUserFile(file, "app spec");
  return parseAppSpec(text, displayPath(file), platform);
}

/** Loads an app and the platform that applies to it. */
export function loadAppAndPlatform(
  dirOrFile: string,
  platformFile?: string,
): { app: LoadedApp; platform: LoadedPlatform; appDir: string } {
  const appDir = dirname(appFilePath(dirOrFile));
  const platform = loadPlatformFile(platformFile, appDir);
  return { app: loadApp(dirOrFile, platform), platform, appDir };
}

function findUp(start: string, name: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}
