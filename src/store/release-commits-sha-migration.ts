/**
 * Migration 14: release commits findable by sha. DORA's lead time counts a commit once per app,
 * so for the commits of the releases that arrived in a window it asks which other releases of the
 * app recorded the same commit (`dora-queries.ts`); without this index that question read every
 * recorded commit.
 */
import type { Transaction } from "kysely";
import type { Migration } from "./migrations.ts";
import type { Tables } from "./tables.ts";

export const releaseCommitsShaMigration: Migration = {
  version: 14,
  name: "release commits findable by sha",
  async up(db: Transaction<Tables>) {
    await db.schema
      .createIndex("release_commits_sha")
      .on("release_commits")
      .columns(["sha", "release_id"])
      .execute();
  },
};
