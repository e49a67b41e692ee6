/**
 * Test databases, after Backstage's `TestDatabases`: each test gets a fresh SQLite file or a fresh
 * PostgreSQL schema, so files run in parallel without seeing each other's rows. PostgreSQL comes
 * from SLIPWAY_TEST_POSTGRES_URL (default: the local server); when it is unreachable the tests
 * fail and say so; they never skip.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { type OpenOptions, openPostgresStore, openSqliteStore } from "../../src/store/open.ts";
import type { SqlStore } from "../../src/store/sql-store.ts";

export const postgresUrl = process.env.SLIPWAY_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export type DatabaseKind = "sqlite" | "postgres";

/** Where one test's database lives; `open` can be called again to get a second writer on it. */
export interface TestDatabase {
  readonly kind: DatabaseKind;
  /** SQLite file or PostgreSQL URL. */
  readonly location: string;
  readonly schema: string | undefined;
  open(options?: OpenOptions): Promise<SqlStore>;
  dispose(): Promise<void>;
}

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "slipway-store-"));
    const file = join(dir, "slipway.db");
    return {
      kind,
      location: file,
      schema: undefined,
      open: (options) => openSqliteStore(file, options),
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `t_${randomBytes(6).toString("hex")}`;
  return {
    kind,
    location: postgresUrl,
    schema,
    open: (options) => openPostgresStore(postgresUrl, { ...options, schema }),
    dispose: async () => {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}
