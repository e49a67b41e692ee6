/**
 * The files of one app in one target: read back as objects from a commit (what the repository
 * holds, not whatever an interrupted deploy left in the working tree) and replaced by a new
 * render. Only `*.yaml` files are Slipway's; anything else a person keeps in the directory (a
 * README) is left alone.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import { manifestYaml, parseManifestYaml } from "../delivery/manifest-yaml.ts";
import type { Git } from "./git.ts";
import { assertPlainDir, listYamlFiles, removeFile, writeRegularFile } from "./repo-paths.ts";

export interface ScopeFile {
  readonly file: string;
  readonly object: KubeObject;
}

const TREE = "040000";
const BLOB = /^100(644|755)$/;

/**
 * The `*.yaml` objects of `dir` (e.g. `develop/cart`) in commit `rev`. A symbolic link or a
 * submodule where the directory or a file should be is refused: the working tree would follow it.
 */
export async function readScopeFilesAt(git: Git, rev: string, dir: string): Promise<ScopeFile[]> {
  const parts = dir.split("/");
  for (let i = 1; i <= parts.length; i++) {
    const path = parts.slice(0, i).join("/");
    const entry = parseTree((await git(["ls-tree", "-z", rev, "--", path])).stdout)[0];
    if (entry === undefined) return [];
    if (entry.mode !== TREE) throw notPlain(rev, path, entry.mode);
  }
  const files: ScopeFile[] = [];
  const entries = parseTree((await git(["ls-tree", "-z", rev, "--", `${dir}/`])).stdout)
    .filter((e) => e.path.endsWith(".yaml"))
    .sort(byPath);
  // Files up to the first one that is not a plain file are read; that one is refused after them.
  const firstNotPlain = entries.findIndex((e) => !BLOB.test(e.mode));
  const plain = firstNotPlain === -1 ? entries : entries.slice(0, firstNotPlain);
  const texts = await readBlobs(
    git,
    plain.map((e) => e.oid),
  );
  for (const [i, entry] of plain.entries()) {
    const object: unknown = parseManifestYaml(texts[i] as string);
    if (!isKubeObject(object)) {
      throw new SlipwayError(
        ErrorCode.Conflict,
        `${entry.path} (in ${rev}) is not a Kubernetes object (it needs apiVersion, kind and metadata.name); ` +
          "Slipway owns the .yaml files of this directory: fix or remove the file",
        { details: { file: entry.path, rev } },
      );
    }
    files.push({ file: entry.path.slice(dir.length + 1), object });
  }
  const refused = entries[firstNotPlain];
  if (refused !== undefined) throw notPlain(rev, refused.path, refused.mode);
  return files;
}

/** Throws unless `dir` and its `.yaml` files are real directories and files inside `root`. */
export async function assertWritableScope(root: string, dir: string): Promise<void> {
  await assertPlainDir(root, dir);
  await listYamlFiles(root, dir);
}

/**
 * Makes `dir` of the working tree hold exactly `files` (name → object) among its `.yaml` files.
 * Every path is checked first, so a refused deploy has touched nothing.
 */
export async function replaceScopeFiles(
  root: string,
  dir: string,
  files: ReadonlyMap<string, KubeObject>,
): Promise<void> {
  await assertPlainDir(root, dir);
  const present = await listYamlFiles(root, dir);
  for (const file of present) {
    if (!files.has(file)) await removeFile(join(root, dir, file));
  }
  if (files.size === 0) return;
  await mkdir(join(root, dir), { recursive: true });
  // mkdir may have created components: check again before the first write.
  await assertPlainDir(root, dir);
  for (const [file, object] of files) await writeRegularFile(join(root, dir, file), manifestYaml(object));
}

/**
 * The blobs `oids` as text, in one `git cat-file --batch` rather than one git per file. Its
 * output gives sizes in bytes, so it is split on the re-encoded bytes; that is exact unless
 * decoding replaced invalid UTF-8 (U+FFFD), and then each blob is read on its own as before.
 */
async function readBlobs(git: Git, oids: readonly string[]): Promise<string[]> {
  if (oids.length === 0) return [];
  const stdout = (await git(["cat-file", "--batch"], { input: oids.map((oid) => `${oid}\n`).join("") }))
    .stdout;
  if (stdout.includes("\uFFFD")) {
    const texts: string[] = [];
    for (const oid of oids) texts.push((await git(["cat-file", "blob", oid])).stdout);
    return texts;
  }
  const out = Buffer.from(stdout, "utf8");
  const texts: string[] = [];
  let at = 0;
  for (const oid of oids) {
    const eol = out.indexOf(0x0a, at);
    const [name, type, size] = out.toString("utf8", at, eol).split(" ");
    if (name !== oid || type !== "blob" || size === undefined) {
      throw new SlipwayError(
        ErrorCode.Git,
        `\`git cat-file --batch\` answered "${out.toString("utf8", at, eol)}" for ${oid}`,
      );
    }
    const end = eol + 1 + Number(size);
    texts.push(out.toString("utf8", eol + 1, end));
    at = end + 1; // the newline after each blob
  }
  return texts;
}

interface TreeEntry {
  readonly mode: string;
  readonly type: string;
  readonly oid: string;
  readonly path: string;
}

function parseTree(stdout: string): TreeEntry[] {
  return stdout
    .split("\0")
    .filter((line) => line !== "")
    .map((line) => {
      const tab = line.indexOf("\t");
      const [mode = "", type = "", oid = ""] = line.slice(0, tab).split(" ");
      return { mode, type, oid, path: line.slice(tab + 1) };
    });
}

function notPlain(rev: string, path: string, mode: string): SlipwayError {
  const what =
    mode === "120000"
      ? "a symbolic link"
      : mode === "160000"
        ? "a submodule"
        : "not a plain file or directory";
  return new SlipwayError(
    ErrorCode.Conflict,
    `${path} in the GitOps repository (${rev}) is ${what}; Slipway writes only real files and directories ` +
      "inside the repository and touched nothing. Replace it with a directory or file in the repository and deploy again.",
    { details: { path, rev, mode } },
  );
}

const byPath = (a: TreeEntry, b: TreeEntry) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== "object" || value === null) return false;
  const o = value as Partial<KubeObject>;
  return (
    typeof o.apiVersion === "string" && typeof o.kind === "string" && typeof o.metadata?.name === "string"
  );
}
