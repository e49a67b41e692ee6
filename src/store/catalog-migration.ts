/**
 * Migration 13: a change notice of its own for teams, apps and targets, on PostgreSQL (the
 * `catalog` scope of `change-scopes.ts`), as migration 12 gave the identity tables one. App pages
 * and the team check of every app route are then cached while deployments move.
 */
import { sql, type Transaction } from "kysely";
import { changeChannel, type Dialect, type Migration } from "./migrations.ts";
import type { Tables } from "./tables.ts";

/** `changeScopes.catalog` when this migration was written; fixed, since it must not change. */
const catalogTables = ["teams", "apps", "targets"] as const;

export const catalogNoticeMigration: Migration = {
  version: 13,
  name: "change notifications of their own for teams, apps and targets (PostgreSQL)",
  async up(db: Transaction<Tables>, dialect: Dialect) {
    // SQLite: `pragma data_version` and the store's own count of its writes say it (sql-store.ts).
    if (dialect !== "postgres") return;
    // The scope is the trigger's argument: the payload is `<scope>:<schema>` (scopeChangePayload).
    await sql`create function slipway_notify_scope_change() returns trigger language plpgsql as $$
        begin perform pg_notify(${sql.lit(changeChannel)}, tg_argv[0] || ':' || tg_table_schema);
        return null; end $$`.execute(db);
    for (const table of catalogTables) {
      await sql`create trigger ${sql.id(`${table}_notify_catalog_change`)}
        after insert or update or delete or truncate on ${sql.table(table)}
        for each statement execute function slipway_notify_scope_change('catalog')`.execute(db);
    }
  },
};
