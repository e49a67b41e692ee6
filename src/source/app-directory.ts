/**
 * An app as it lies in a directory on disk — what the CLI deploys: slipway.yaml's text and a
 * reader of the encrypted secret files it names. The same `AppSource` a release snapshot gives
 * the server, so both go through one deployment use case.
 */
import { constants, type Stats } from "node:fs";
import { lstat, open, realpath } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { AppFiles, AppSource } from "../delivery/deploy.ts";
import { appFilePath, displayPath, readUserFile } from "../spec/files.ts";

/** `dirOrFile` is an app directory (holding slipway.yaml) or the spec file itself. */
export function appSourceFromDirectory(dirOrFile: string): { source: AppSource; appDir: string } {
  const file = appFilePath(dirOrFile);
  const appDir = dirname(file);
  const text = readUserFile(file, "app spec");
  return { source: { spec: { text, file: displayPath(file) }, files: appDirectoryFiles(appDir) }, appDir };
}

/** The secret files of the app in `appDir`, read only as regular files inside it. */
export function appDirectoryFiles(appDir: string): AppFiles {
  return {
    async read(file) {
      const path = resolve(appDir, file);
      const inside = relative(appDir, path);
      if (isAbsolute(file) || inside === "" || inside.startsWith("..")) {
        throw new SlipwayError(
          ErrorCode.Input,
          `secret file ${file} must be inside the app directory ${appDir}`,
        );
      }
      return readPlainFile(appDir, inside, file);
    },
  };
}

/**
 * Reads `rel` under `appDir` without following a symbolic link on any component: the app's
 * repository is untrusted, and a link (`secrets/prod.enc.yaml -> /etc/shadow`) would make Slipway
 * read, or report the existence of, any file it can reach. A link is refused by what it is, never
 * by where it points, so the error says nothing about the target; the last component is opened
 * with O_NOFOLLOW so a link planted after the check is refused too.
 */
async function readPlainFile(appDir: string, rel: string, file: string): Promise<Uint8Array> {
  const parts = rel.split(sep);
  let path = await realpath(appDir).catch(() => appDir);
  for (const [i, part] of parts.entries()) {
    path = join(path, part);
    let stat: Stats;
    try {
      stat = await lstat(path);
    } catch (error) {
      throw unreadable(file, appDir, error);
    }
    const last = i === parts.length - 1;
    if (stat.isSymbolicLink() || (last ? !stat.isFile() : !stat.isDirectory())) {
      throw new SlipwayError(
        ErrorCode.Input,
        `secret file ${file} (named in slipway.yaml) is a symbolic link, lies under one, or is not a regular file; ` +
          `Slipway reads secret files only as regular files inside the app directory ${appDir}: put the encrypted file itself there`,
        { details: { file } },
      );
    }
  }
  try {
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      return new Uint8Array(await handle.readFile());
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw unreadable(file, appDir, error);
  }
}

function unreadable(file: string, appDir: string, error: unknown): SlipwayError {
  const code = (error as NodeJS.ErrnoException).code;
  return new SlipwayError(
    ErrorCode.Input,
    code === "ENOENT"
      ? `secret file ${file} (named in slipway.yaml) does not exist in ${appDir}; create it with \`slipway secrets encrypt\``
      : code === "ELOOP"
        ? `secret file ${file} (named in slipway.yaml) is a symbolic link; Slipway reads secret files only as regular files inside the app directory ${appDir}`
        : `secret file ${file} cannot be read: ${code ?? "error"}`,
    { cause: error, details: { file } },
  );
}
