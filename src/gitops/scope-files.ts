/**
 * The files of one app in one target: read back as objects (what the repository holds now) and
 * replaced by a new render. Only `*.yaml` files are Slipway's; anything else a person keeps in the
 * directory (a README) is left alone.
 */
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import { manifestYaml, parseManifestYaml } from "../delivery/manifest-yaml.ts";

export interface ScopeFile {
  readonly file: string;
  readonly object: KubeObject;
}

export async function readScopeFiles(dir: string): Promise<ScopeFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const files: ScopeFile[] = [];
  for (const file of names.filter((n) => n.endsWith(".yaml")).sort()) {
    const path = join(dir, file);
    const object: unknown = parseManifestYaml(await readFile(path, "utf8"));
    if (!isKubeObject(object)) {
      throw new SlipwayError(
        ErrorCode.Conflict,
        `${path} is not a Kubernetes object (it needs apiVersion, kind and metadata.name); ` +
          "Slipway owns the .yaml files of this directory: fix or remove the file",
        { details: { file: path } },
      );
    }
    files.push({ file, object });
  }
  return files;
}

/** Writes `files` (name → object) and removes the directory's other `.yaml` files. */
export async function replaceScopeFiles(
  dir: string,
  files: ReadonlyMap<string, KubeObject>,
  existing: readonly ScopeFile[],
): Promise<void> {
  for (const { file } of existing) {
    if (!files.has(file)) await rm(join(dir, file));
  }
  if (files.size === 0) return;
  await mkdir(dir, { recursive: true });
  for (const [file, object] of files) await writeFile(join(dir, file), manifestYaml(object));
}

function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== "object" || value === null) return false;
  const o = value as Partial<KubeObject>;
  return (
    typeof o.apiVersion === "string" && typeof o.kind === "string" && typeof o.metadata?.name === "string"
  );
}
