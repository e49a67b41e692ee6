/**
 * Migration 12: a change notice of its own for the tables a caller's identity is read from
 * (teams, users, memberships, API tokens), on PostgreSQL. The server caches who a token belongs
 * to; with only the one notice every table shares, each deployment's status change dropped that
 * cache, and under a steady stream of them most API requests paid three lookups before their own
 * query. The shared notice (migration 4) is still sent, so replicas that know only it keep working.
 */
import { sql, type Transaction } from "kysely";
import { scopeChangePayload } from "./change-scopes.ts";
import { changeChannel, type Dialect, type Migration } from "./migrations.ts";
import type { Tables } from "./tables.ts";

/** `changeScopes.identity` when this migration was written; fixed, since it must not change. */
const identityTables = ["teams", "users", "memberships", "api_tokens"] as const;

export const identityNoticeMigration: Migration = {
  version: 12,
  name: "change notifications of their own for teams, users, memberships and tokens (PostgreSQL)",
  async up(db: Transaction<Tables>, dialect: Dialect) {
    // SQLite: `pragma data_version` and the store's own count of its writes say it (sql-store.ts).
    if (dialect !== "postgres") return;
    await sql`create function slipway_notify_identity_change() returns trigger language plpgsql as $$
        begin perform pg_notify(${sql.lit(changeChannel)}, ${sql.lit(scopeChangePayload("identity", ""))} || tg_table_schema);
        return null; end $$`.execute(db);
    for (const table of identityTables) {
      await sql`create trigger ${sql.id(`${table}_notify_identity_change`)}
        after insert or update or delete or truncate on ${sql.table(table)}
        for each statement execute function slipway_notify_identity_change()`.execute(db);
    }
  },
};
