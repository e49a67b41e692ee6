/**
 * Reading `slipway.yaml` and the platform file from disk: the thin I/O edge around the pure
 * parsers. The platform file is the operator's: `--platform` when given, else $SLIPWAY_PLATFORM,
 * else the built-in default platform. It is never looked for in or above the app's directory (or
 * in the working directory, which is usually the app's checkout): an app's repository is
 * untrusted, and a platform file it brought could name kubeconfigs (and their credential
 * commands), clusters, namespaces, GitOps directories and policy modes.
 */
import { existsSync, lstatSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import {
  defaultPlatform,
  type LoadedApp,
  type LoadedPlatform,
  parseAppSpec,
  parsePlatform,
} from "./parse.ts";
import { decodeUtf8 } from "./utf8.ts";

export const APP_FILE = "slipway.yaml";
export const PLATFORM_FILE = "slipway.platform.yaml";
/** The environment variable that names the operator's platform file when `--platform` is not given. */
export const PLATFORM_ENV = "SLIPWAY_PLATFORM";

type Env = Readonly<Record<string, string | undefined>>;

/** A path as the user should read it in messages: relative to the working directory when inside it. */
export function displayPath(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") ? rel : path;
}

export function readUserFile(path: string, what: string): string {
  return decodeUtf8(readUserBytes(path, what), displayPath(path));
}

function readUserBytes(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
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
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, APP_FILE) : path;
  // The app's files are untrusted: a slipway.yaml that links elsewhere would have Slipway parse,
  // and name the keys of, any YAML file the reader can reach (a CI runner's).
  if (lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) {
    throw new SlipwayError(
      ErrorCode.Input,
      `app spec ${displayPath(file)} is a symbolic link; Slipway reads only a regular slipway.yaml: commit the file itself`,
    );
  }
  return file;
}

/** `explicit` (the `--platform` flag), else `env`'s $SLIPWAY_PLATFORM, else the built-in default. */
export function loadPlatformFile(explicit: string | undefined, env: Env = process.env): LoadedPlatform {
  const named = explicit || env[PLATFORM_ENV] || undefined;
  if (!named) return defaultPlatform();
  const file = resolve(named);
  return parsePlatform(readUserFile(file, "platform file"), displayPath(file));
}

export function loadApp(dirOrFile: string, platform?: LoadedPlatform): LoadedApp {
  const file = appFilePath(dirOrFile);
  const text = readUserFile(file, "app spec");
  return parseAppSpec(text, displayPath(file), platform);
}

/** Loads an app and the operator's platform (see `loadPlatformFile`). */
export function loadAppAndPlatform(
  dirOrFile: string,
  platformFile?: string,
  env: Env = process.env,
): { app: LoadedApp; platform: LoadedPlatform; appDir: string } {
  const appDir = dirname(appFilePath(dirOrFile));
  const platform = loadPlatformFile(platformFile, env);
  return { app: loadApp(dirOrFile, platform), platform, appDir };
}
