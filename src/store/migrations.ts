/**
 * Versioned schema migrations, run at every start. Each migration runs in its own transaction
 * together with the row that records it: both databases have transactional DDL, so a crash in the
 * middle of a migration rolls the whole step back and the next start simply runs it again
 * (`test/store-migrations.test.ts` kills a process mid-migration to prove it). On PostgreSQL an
 * advisory lock makes concurrent replicas take turns; on SQLite the write lock does the same.
 */
import { type Kysely, sql, type Transaction } from "kysely";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { catalogNoticeMigration } from "./catalog-migration.ts";
import { identityNoticeMigration } from "./identity-migration.ts";
import { jobsMigration } from "./job-migration.ts";
import { promotionMigration } from "./promotion-migration.ts";
import { releaseCommitsMigration } from "./release-commits-migration.ts";
import { releaseCommitsShaMigration } from "./release-commits-sha-migration.ts";
import type { Tables } from "./tables.ts";
import { tokenLineageMigration } from "./token-migration.ts";

export type Dialect = "sqlite" | "postgres";

export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Transaction<Tables>, dialect: Dialect): Promise<void>;
}

/** The NOTIFY channel of committed changes (PostgreSQL); the payload is the schema that changed. */
export const changeChannel = "slipway_changes";

// Arbitrary, fixed: the key of the PostgreSQL advisory lock that serializes migrations.
export const migrationLockKey = 5_170_900_005;

export async function migrate(
  db: Kysely<Tables>,
  dialect: Dialect,
  migrations: readonly Migration[],
): Promise<number[]> {
  // Under the lock too: PostgreSQL's "if not exists" is not safe against a concurrent creator.
  await db.transaction().execute(async (trx) => {
    if (dialect === "postgres") {
      await sql`select pg_advisory_xact_lock(${migrationLockKey})`.execute(trx);
      // "if not exists" still needs the right to create: a server under a least-privilege role
      // (docs/server.md), on a database its owner migrated, must get by without it.
      const { rows } = await sql<{ found: string | null }>`
        select to_regclass('slipway_migrations')::text as found`.execute(trx);
      if (rows[0]?.found != null) return;
    }
    await trx.schema
      .createTable("slipway_migrations")
      .ifNotExists()
      .addColumn("version", "integer", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("applied_at", "text", (c) => c.notNull())
      .execute();
  });
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    const ran = await db.transaction().execute(async (trx) => {
      if (dialect === "postgres") await sql`select pg_advisory_xact_lock(${migrationLockKey})`.execute(trx);
      const done = await trx
        .selectFrom("slipwayMigrations")
        .select("version")
        .where("version", "=", migration.version)
        .executeTakeFirst();
      if (done) return false;
      try {
        await migration.up(trx, dialect);
      } catch (error) {
        // PostgreSQL's insufficient_privilege: the server runs under a role that may not change
        // the schema, as it should in production; the owner must run the migration.
        if ((error as { code?: unknown } | null)?.code === "42501") {
          throw new SlipwayError(
            ErrorCode.Unavailable,
            `migration ${migration.version} (${migration.name}) needs to change the schema, which this database role may not: start the server once as the schema's owner to run it (docs/server.md)`,
            { cause: error },
          );
        }
        throw error;
      }
      await trx
        .insertInto("slipwayMigrations")
        .values({ version: migration.version, name: migration.name, appliedAt: new Date().toISOString() })
        .execute();
      return true;
    });
    if (ran) applied.push(migration.version);
  }
  return applied;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "teams, users, tokens, apps, targets",
    async up(db) {
      await db.schema
        .createTable("teams")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("users")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("subject", "text", (c) => c.notNull().unique())
        .addColumn("display_name", "text", (c) => c.notNull())
        .addColumn("is_admin", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("memberships")
        .addColumn("team_id", "text", (c) => c.notNull().references("teams.id"))
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("role", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("memberships_pk", ["team_id", "user_id"])
        .execute();
      await db.schema
        .createTable("api_tokens")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("secret_hash", "text", (c) => c.notNull().unique())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("expires_at", "text")
        .addColumn("revoked_at", "text")
        .execute();
      await db.schema.createIndex("api_tokens_user").on("api_tokens").columns(["user_id", "id"]).execute();
      await db.schema
        .createTable("apps")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("team_id", "text", (c) => c.notNull().references("teams.id"))
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("apps_team_name").on("apps").columns(["team_id", "name"]).execute();
      await db.schema
        .createTable("targets")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
    },
  },
  {
    version: 2,
    name: "releases, deployments, approvals",
    async up(db) {
      await db.schema
        .createTable("releases")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("app_id", "text", (c) => c.notNull().references("apps.id"))
        .addColumn("commit_sha", "text", (c) => c.notNull())
        .addColumn("image_digest", "text", (c) => c.notNull())
        .addColumn("spec_hash", "text", (c) => c.notNull())
        .addColumn("secrets_hash", "text", (c) => c.notNull())
        .addColumn("commit_time", "text")
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addUniqueConstraint("releases_identity", ["app_id", "commit_sha", "image_digest"])
        .execute();
      await db.schema.createIndex("releases_app_id").on("releases").columns(["app_id", "id"]).execute();
      await db.schema
        .createTable("deployments")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("app_id", "text", (c) => c.notNull().references("apps.id"))
        .addColumn("target_id", "text", (c) => c.notNull().references("targets.id"))
        .addColumn("release_id", "text", (c) => c.notNull().references("releases.id"))
        .addColumn("sequence", "integer", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("started_at", "text", (c) => c.notNull())
        .addColumn("available_at", "text")
        .addColumn("updated_at", "text", (c) => c.notNull())
        // The serialization point for writers on one (app, target): a second writer that read the
        // same last sequence cannot insert, and retries with the next one.
        .addUniqueConstraint("deployments_sequence", ["app_id", "target_id", "sequence"])
        .execute();
      await db.schema.createIndex("deployments_app_id").on("deployments").columns(["app_id", "id"]).execute();
      await db.schema
        .createTable("deployment_events")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("deployment_id", "text", (c) => c.notNull().references("deployments.id"))
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("deployment_events_deployment")
        .on("deployment_events")
        .columns(["deployment_id", "id"])
        .execute();
      await db.schema
        .createTable("approvals")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("release_id", "text", (c) => c.notNull().references("releases.id"))
        .addColumn("target_id", "text", (c) => c.notNull().references("targets.id"))
        .addColumn("approved_by", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addUniqueConstraint("approvals_once", ["release_id", "target_id", "approved_by"])
        .execute();
    },
  },
  {
    version: 3,
    name: "append-only audit events",
    async up(db, dialect) {
      await db.schema
        .createTable("audit_events")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("at", "text", (c) => c.notNull())
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("team_name", "text")
        .addColumn("before_hash", "text")
        .addColumn("after_hash", "text")
        .execute();
      await db.schema
        .createIndex("audit_events_team")
        .on("audit_events")
        .columns(["team_name", "id"])
        .execute();
      // Append-only is enforced by the database too, not only by the absence of an API route.
      if (dialect === "sqlite") {
        await sql`create trigger audit_events_no_update before update on audit_events
          begin select raise(abort, 'audit events are append-only'); end`.execute(db);
        await sql`create trigger audit_events_no_delete before delete on audit_events
          begin select raise(abort, 'audit events are append-only'); end`.execute(db);
      } else {
        await sql`create function slipway_audit_append_only() returns trigger language plpgsql as $$
          begin raise exception 'audit events are append-only'; end $$`.execute(db);
        await sql`create trigger audit_events_append_only before update or delete on audit_events
          for each row execute function slipway_audit_append_only()`.execute(db);
      }
    },
  },
  {
    version: 4,
    name: "change notifications for read caches (PostgreSQL)",
    async up(db, dialect) {
      // SQLite needs nothing: `pragma data_version` already tells a connection that another one
      // committed. PostgreSQL tells listeners with NOTIFY (pg-change-feed.ts); one notification per
      // statement, and PostgreSQL folds identical ones of a transaction into one at commit.
      if (dialect !== "postgres") return;
      await sql`create function slipway_notify_change() returns trigger language plpgsql as $$
          begin perform pg_notify(${sql.lit(changeChannel)}, tg_table_schema); return null; end $$`.execute(
        db,
      );
      for (const table of firstNotifiedTables) await notifyChanges(db, table);
    },
  },
  {
    version: 5,
    name: "audit events refuse TRUNCATE (PostgreSQL)",
    async up(db, dialect) {
      // A row trigger never sees TRUNCATE; a statement trigger does. SQLite has no TRUNCATE: its
      // "delete everything" optimization is off while a delete trigger exists, so that one covers it.
      if (dialect !== "postgres") return;
      await sql`create trigger audit_events_no_truncate before truncate on audit_events
        for each statement execute function slipway_audit_append_only()`.execute(db);
    },
  },
  {
    version: 6,
    name: "API token scopes",
    async up(db) {
      // "api": everything the user may do; "metrics": only GET /metrics (a scraper's token).
      await db.schema
        .alterTable("api_tokens")
        .addColumn("scope", "text", (c) => c.notNull().defaultTo("api"))
        .execute();
    },
  },
  {
    version: 7,
    name: "release snapshots: content-addressed files and the commit they came from",
    async up(db, dialect) {
      // Where a release came from and the commit's own record (lead time starts at commit_time).
      // Null for releases recorded before the server read repositories itself.
      for (const column of ["repository", "source_path", "commit_author", "commit_message", "committed_at"]) {
        await db.schema.alterTable("releases").addColumn(column, "text").execute();
      }
      // Each distinct file content once, by its SHA-256: a spec unchanged across a hundred commits
      // is stored once. Never updated or deleted while a release names it.
      await db.schema
        .createTable("snapshot_blobs")
        .addColumn("sha256", "text", (c) => c.primaryKey())
        .addColumn("size", "integer", (c) => c.notNull())
        .addColumn("content", dialect === "postgres" ? "bytea" : "blob", (c) => c.notNull())
        .execute();
      // A release's manifest: path (relative to the app's directory) → content hash.
      await db.schema
        .createTable("release_files")
        .addColumn("release_id", "text", (c) => c.notNull().references("releases.id"))
        .addColumn("path", "text", (c) => c.notNull())
        .addColumn("sha256", "text", (c) => c.notNull().references("snapshot_blobs.sha256"))
        .addPrimaryKeyConstraint("release_files_pk", ["release_id", "path"])
        .execute();
      if (dialect === "postgres") {
        for (const table of ["snapshot_blobs", "release_files"]) await notifyChanges(db, table);
      }
    },
  },
  jobsMigration,
  promotionMigration,
  tokenLineageMigration,
  releaseCommitsMigration,
  identityNoticeMigration,
  catalogNoticeMigration,
  releaseCommitsShaMigration,
];

/** Tells change-feed listeners about every statement that changes `table` (PostgreSQL). */
export async function notifyChanges(db: Transaction<Tables>, table: string): Promise<void> {
  await sql`create trigger ${sql.id(`${table}_notify_change`)}
    after insert or update or delete or truncate on ${sql.table(table)}
    for each statement execute function slipway_notify_change()`.execute(db);
}

/** The tables migration 4 gave a change trigger; fixed, since that migration must not change. */
const firstNotifiedTables = [
  "teams",
  "users",
  "memberships",
  "api_tokens",
  "apps",
  "targets",
  "releases",
  "deployments",
  "deployment_events",
  "approvals",
  "audit_events",
] as const;

/**
 * Every table a read can come from. A migration that adds a table adds its trigger too
 * (`notifyChanges`); the PostgreSQL store test checks that no table is missing one.
 */
export const changeNotifiedTables = [
  ...firstNotifiedTables,
  "snapshot_blobs",
  "release_files",
  "deployment_jobs",
  "counters",
  "deployment_causes",
  "line_stops",
  "release_commit_ranges",
  "release_commits",
] as const;
