/**
 * Writes into the GitOps repository stay inside it. Anyone who can push to the repository can
 * commit a symbolic link (`develop/cart -> /etc`), and the working tree follows links: a deploy
 * writing `develop/cart/deployment-cart.yaml` would write, and its pruning would delete, files
 * wherever the link points. So no component of a path Slipway writes or deletes may be a link,
 * and the directory must resolve inside the repository, checked before anything is touched; the
 * files themselves are opened with O_NOFOLLOW.
 */

import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { lstat, open, readdir, realpath, rename, rm } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { ErrorCode, SlipwayError } from "../core/errors.ts";

/** Throws when a component of `rel` (relative to `root`, `/`-separated) is a link or leaves `root`. */
export async function assertPlainDir(root: string, rel: string): Promise<void> {
  const parts = rel.split("/").filter((p) => p !== "");
  let path = root;
  for (const [i, part] of parts.entries()) {
    path = join(path, part);
    const stat = await lstatOrUndefined(path);
    if (stat === undefined) break; // created by the deploy, as a real directory
    const shown = parts.slice(0, i + 1).join("/");
    if (stat.isSymbolicLink()) throw linkError(root, shown);
    if (!stat.isDirectory()) {
      throw new SlipwayError(
        ErrorCode.Conflict,
        `${shown} in the GitOps repository ${root} is a file where Slipway keeps a directory; remove it from the repository`,
        { details: { repository: root, path: shown } },
      );
    }
  }
  const [realRoot, realDir] = await Promise.all([realpath(root), realpath(path).catch(() => undefined)]);
  if (realDir !== undefined && !isInside(realRoot, realDir)) throw linkError(root, rel);
}

/** The names of the directory's `*.yaml` entries, refusing any that is not a regular file. */
export async function listYamlFiles(root: string, rel: string): Promise<string[]> {
  const dir = join(root, rel);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const yaml = names.filter((n) => n.endsWith(".yaml")).sort();
  for (const name of yaml) {
    const stat = await lstat(join(dir, name));
    if (!stat.isFile()) throw linkError(root, `${rel}/${name}`, stat.isSymbolicLink() ? "link" : "special");
  }
  return yaml;
}

/**
 * Writes a regular file, never through a link planted at its name, and whole or not at all: the
 * text goes to a new file beside it that then replaces it (a rename replaces a link, it does not
 * follow it). A failed write (a full disk) removes the new file and leaves the old one as it was.
 */
export async function writeRegularFile(path: string, text: string): Promise<void> {
  const staged = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    const handle = await open(
      staged,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o644,
    );
    try {
      await handle.writeFile(text);
    } finally {
      await handle.close();
    }
    await rename(staged, path);
  } catch (error) {
    await rm(staged, { force: true });
    throw error;
  }
}

/** Removes a file checked by `listYamlFiles` (a link there would be removed, not followed). */
export async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true });
}

function linkError(root: string, path: string, what: "link" | "special" = "link"): SlipwayError {
  const is =
    what === "link" ? "is a symbolic link (or leads outside the repository)" : "is not a regular file";
  return new SlipwayError(
    ErrorCode.Conflict,
    `${path} in the GitOps repository ${root} ${is}; Slipway writes only real files and directories ` +
      "inside the repository and touched nothing. Replace it with a directory or file in the repository and deploy again.",
    { details: { repository: root, path } },
  );
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !rel.startsWith(sep));
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
