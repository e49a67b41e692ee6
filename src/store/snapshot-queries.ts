/**
 * Release snapshots, content-addressed: each distinct file content is stored once in
 * `snapshot_blobs` under its SHA-256, and each release has a manifest (`release_files`) of path →
 * hash. What is stored is exactly the bytes read at the commit: `slipway.yaml` and the SOPS
 * ciphertext of the secret files, never anything decrypted.
 */
import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { notFound, type StoreContext } from "./context.ts";
import type { SnapshotFile } from "./records.ts";
import type { Tables } from "./tables.ts";

/** A release's files as stored, each checked against its hash on the way out. */
export interface StoredSnapshot {
  readonly releaseId: string;
  readonly files: readonly (SnapshotFile & { readonly sha256: string })[];
}

export function sha256Of(content: Uint8Array): string {
  return createHash("sha256").update(content).digest("hex");
}

/** Inside the release's transaction (see `createRelease`). */
export async function insertSnapshot(
  trx: Kysely<Tables>,
  releaseId: string,
  files: readonly SnapshotFile[],
): Promise<void> {
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(file.path)) {
      throw new SlipwayError(ErrorCode.Internal, `snapshot of ${releaseId} names ${file.path} twice`);
    }
    seen.add(file.path);
    const sha256 = sha256Of(file.content);
    // Another release (or a concurrent writer) may hold the same content already: it is the same
    // bytes by construction, so the existing row serves both.
    await trx
      .insertInto("snapshotBlobs")
      .values({ sha256, size: file.content.byteLength, content: Buffer.from(file.content) })
      .onConflict((oc) => oc.column("sha256").doNothing())
      .execute();
    await trx.insertInto("releaseFiles").values({ releaseId, path: file.path, sha256 }).execute();
  }
}

export async function getReleaseSnapshot(ctx: StoreContext, releaseId: string): Promise<StoredSnapshot> {
  const release = await ctx.db
    .selectFrom("releases")
    .select(["id", "repository"])
    .where("id", "=", releaseId)
    .executeTakeFirst();
  if (release === undefined) throw notFound("release", releaseId);
  const rows = await ctx.db
    .selectFrom("releaseFiles")
    .innerJoin("snapshotBlobs", "snapshotBlobs.sha256", "releaseFiles.sha256")
    .select(["releaseFiles.path", "releaseFiles.sha256", "snapshotBlobs.content"])
    .where("releaseFiles.releaseId", "=", releaseId)
    .orderBy("releaseFiles.path")
    .execute();
  if (rows.length === 0) {
    throw new SlipwayError(
      ErrorCode.NotFound,
      `release ${releaseId} has no snapshot: it was recorded without reading its commit; create a release from the repository (slipway release create)`,
      { details: { release: releaseId } },
    );
  }
  const files = rows.map((row) => {
    const content = new Uint8Array(row.content);
    // A changed byte in the database must not reach a cluster unnoticed.
    if (sha256Of(content) !== row.sha256) {
      throw new SlipwayError(
        ErrorCode.Internal,
        `snapshot file ${row.path} of release ${releaseId} does not match its hash ${row.sha256}: the database was changed behind Slipway's back`,
        { details: { release: releaseId, path: row.path } },
      );
    }
    return { path: row.path, sha256: row.sha256, content };
  });
  return { releaseId, files };
}
