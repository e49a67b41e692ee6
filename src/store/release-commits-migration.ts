/**
 * Migration 11: the commits each release brings — those reachable from its commit and not from the
 * app's previous release's (`git log --no-merges <previous>..<commit> -- <path>`), so a release of
 * ten commits gives the promotion's dry run and DORA's lead time all ten. Written once with the
 * release, in its transaction, and never changed: the database refuses updates and deletes, like the audit log's.
 * Releases recorded before this migration have no row here; readers fall back to the release's own
 * commit for them.
 */
import { sql, type Transaction } from "kysely";
import { type Dialect, type Migration, notifyChanges } from "./migrations.ts";
import type { Tables } from "./tables.ts";

export const releaseCommitsMigration: Migration = {
  version: 11,
  name: "the commits each release brings",
  async up(db: Transaction<Tables>, dialect: Dialect) {
    // One row per release read from git: how many commits its range holds (also past the cap of
    // recorded ones), and the earlier release it contains entirely (whose commit is an ancestor).
    await db.schema
      .createTable("release_commit_ranges")
      .addColumn("release_id", "text", (c) => c.primaryKey().references("releases.id"))
      .addColumn("total", "integer", (c) => c.notNull())
      .addColumn("contains_release_id", "text", (c) => c.references("releases.id"))
      .execute();
    // The recorded commits, newest first by position. The message's first line only.
    await db.schema
      .createTable("release_commits")
      .addColumn("release_id", "text", (c) => c.notNull().references("releases.id"))
      .addColumn("position", "integer", (c) => c.notNull())
      .addColumn("sha", "text", (c) => c.notNull())
      .addColumn("author", "text", (c) => c.notNull())
      .addColumn("authored_at", "text", (c) => c.notNull())
      .addColumn("subject", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("release_commits_pk", ["release_id", "position"])
      .execute();
    const tables = ["release_commit_ranges", "release_commits"];
    if (dialect === "sqlite") {
      for (const table of tables) {
        for (const action of ["update", "delete"]) {
          await sql`create trigger ${sql.id(`${table}_no_${action}`)} before ${sql.raw(action)} on ${sql.table(table)}
            begin select raise(abort, 'the commits of a release are recorded once and never changed'); end`.execute(
            db,
          );
        }
      }
      return;
    }
    await sql`create function slipway_release_commits_immutable() returns trigger language plpgsql as $$
      begin raise exception 'the commits of a release are recorded once and never changed'; end $$`.execute(
      db,
    );
    for (const table of tables) {
      await sql`create trigger ${sql.id(`${table}_immutable`)} before update or delete on ${sql.table(table)}
        for each row execute function slipway_release_commits_immutable()`.execute(db);
      await sql`create trigger ${sql.id(`${table}_no_truncate`)} before truncate on ${sql.table(table)}
        for each statement execute function slipway_release_commits_immutable()`.execute(db);
      await notifyChanges(db, table);
    }
  },
};
