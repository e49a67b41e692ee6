/**
 * Opening a store: connect, run pending migrations, hand back a `Store`. Only composition roots
 * (server and CLI main) and tests call these.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { CamelCasePlugin, Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { type Migration, migrate, migrationLockKey, migrations } from "./migrations.ts";
import { NodeSqliteDatabase, NodeSqliteDialect } from "./node-sqlite.ts";
import { PgChangeFeed } from "./pg-change-feed.ts";
import { PreparingClient } from "./pg-client.ts";
import { checkPostgresReachable, explainConnectFailure } from "./pg-connect.ts";
import { SqlStore } from "./sql-store.ts";
import type { Tables } from "./tables.ts";

export interface OpenOptions {
  /** Replaces the built-in migrations (tests that crash one on purpose). */
  readonly migrations?: readonly Migration[];
  readonly now?: () => Date;
}

function sqliteUniqueViolation(error: unknown): boolean {
  // SQLITE_CONSTRAINT_UNIQUE (2067) and SQLITE_CONSTRAINT_PRIMARYKEY (1555).
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  return errcode === 2067 || errcode === 1555;
}

function postgresUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "23505";
}

export async function openSqliteStore(file: string, options: OpenOptions = {}): Promise<SqlStore> {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const database = new NodeSqliteDatabase(file);
  const db = new Kysely<Tables>({
    dialect: new NodeSqliteDialect(database),
    plugins: [new CamelCasePlugin()],
  });
  try {
    await migrate(db, "sqlite", options.migrations ?? migrations);
  } catch (error) {
    await db.destroy();
    await database.stopCheckpoints();
    throw error;
  }
  return new SqlStore({
    db,
    dialect: "sqlite",
    changeVersion: () => database.changeVersion(),
    // Another process's commit may have touched anything; this one's own writes SqlStore counts.
    scopeChangeVersion: () => String(database.othersVersion()),
    onClose: () => database.stopCheckpoints(),
    isUniqueViolation: sqliteUniqueViolation,
    ...(options.now ? { now: options.now } : {}),
  });
}

export interface PostgresOptions extends OpenOptions {
  /** A schema to work in (created if missing): each test run gets its own. */
  readonly schema?: string;
  readonly maxConnections?: number;
  /** Where the change feed says that the read cache turned off (and on again). */
  readonly log?: (line: string) => void;
}

export async function openPostgresStore(url: string, options: PostgresOptions = {}): Promise<SqlStore> {
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) {
    throw new SlipwayError(
      ErrorCode.Input,
      `PostgreSQL schema name "${schema}" must be lower-case letters, digits and _`,
    );
  }
  // Alone first: a database that cannot be used is named with the reason, not a stack trace.
  await checkPostgresReachable(url, redactUrl(url));
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    Client: PreparingClient,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  try {
    if (schema !== undefined) await createSchema(pool, schema);
  } catch (error) {
    await pool.end();
    throw explainConnectFailure(url, redactUrl(url), error);
  }
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
  await migrate(db, "postgres", options.migrations ?? migrations);
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const feed = await PgChangeFeed.start(url, {
    schema: rows[0]?.schema ?? "public",
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  return new SqlStore({
    db,
    dialect: "postgres",
    changeVersion: () => feed.version(),
    scopeChangeVersion: (scope) => feed.scopeVersion(scope),
    onClose: () => feed.close(),
    isUniqueViolation: postgresUniqueViolation,
    ...(options.now ? { now: options.now } : {}),
  });
}

/** Under the migration lock: concurrent "create schema if not exists" can fail in PostgreSQL. */
async function createSchema(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query("select pg_advisory_xact_lock($1)", [migrationLockKey]);
    // Checked first: "if not exists" still needs the right to create, which a server running
    // under a least-privilege role (docs/server.md) does not have.
    const { rowCount } = await client.query("select 1 from pg_namespace where nspname = $1", [schema]);
    if (rowCount === 0) await client.query(`create schema ${schema}`);
    await client.query("commit");
  } catch (error) {
    await client.query("rollback");
    throw error;
  } finally {
    client.release();
  }
}

/** Connection strings can carry a password; never print it. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparseable connection string>";
  }
}
