/**
 * A release's snapshot as the engine and the deployment use case read it back: `slipway.yaml`
 * exactly as it was at the release's commit, and every file the release stored (the spec and the
 * SOPS-encrypted secret files, still encrypted), by their path relative to the app's directory.
 * Deploying a release reads only this, never the repository again: the same release deploys the
 * same files in every channel, whatever was pushed since.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";

/** The name of the spec in a snapshot (and in an app's directory). */
export const SNAPSHOT_SPEC = "slipway.yaml";

export interface ReleaseSnapshot {
  /** `slipway.yaml` at the release's commit, as written (UTF-8, checked when the release was made). */
  readonly specText: string;
  /**
   * Every file of the snapshot by its path relative to the app's directory: `/`-separated, no
   * `./`, no `..` (`slipway.yaml`, `secrets/prod.enc.yaml`), whatever the server's platform.
   */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/** What loading needs of the store (`Store.getReleaseSnapshot` fits). */
export interface SnapshotSource {
  getReleaseSnapshot(
    releaseId: string,
  ): Promise<{ readonly files: readonly { readonly path: string; readonly content: Uint8Array }[] }>;
}

/** Throws not-found for a release without a snapshot (recorded before releases were read from git). */
export async function loadReleaseSnapshot(
  store: SnapshotSource,
  releaseId: string,
): Promise<ReleaseSnapshot> {
  const stored = await store.getReleaseSnapshot(releaseId);
  const files = new Map(stored.files.map((f) => [f.path, f.content]));
  const spec = files.get(SNAPSHOT_SPEC);
  if (spec === undefined) {
    throw new SlipwayError(
      ErrorCode.NotFound,
      `release ${releaseId} has no ${SNAPSHOT_SPEC} in its snapshot`,
      {
        details: { release: releaseId },
      },
    );
  }
  return { specText: new TextDecoder("utf-8", { fatal: true }).decode(spec), files };
}

/**
 * The snapshot key of a path as `slipway.yaml` writes it (`secrets[].file`: relative to the spec,
 * maybe `./secrets/x.enc.yaml`). Refuses what would leave the app's directory: absolute paths,
 * `..`, `.git` and backslashes (a path means the same on every platform).
 */
export function snapshotPath(file: string): string {
  const parts = file.split("/").filter((p) => p !== "" && p !== ".");
  if (
    file.startsWith("/") ||
    file.includes("\\") ||
    file.includes("\0") ||
    parts.length === 0 ||
    parts.some((p) => p === ".." || p.toLowerCase() === ".git")
  ) {
    throw new SlipwayError(
      ErrorCode.Input,
      `secret file "${file}" must be a path inside the app's directory, relative to slipway.yaml (no "..", no absolute path, no ".git", "/" as the separator)`,
      { details: { file } },
    );
  }
  return parts.join("/");
}

/**
 * Reads a file of the snapshot by its path as `slipway.yaml` wrote it: the `read` of the deployment's
 * `SecretSources`, so secrets come from the release, not from a checkout.
 */
export function readSnapshotFile(snapshot: ReleaseSnapshot, file: string): Uint8Array {
  const content = snapshot.files.get(snapshotPath(file));
  if (content === undefined) {
    throw new SlipwayError(
      ErrorCode.NotFound,
      `the release's snapshot has no file ${file}: a release holds the files its slipway.yaml named when it was created`,
      { details: { file } },
    );
  }
  return content;
}
