import assert from "node:assert/strict";
import { describe, test } from "node:test";
import pg from "pg";
import { storeContract } from "./store-contract.ts";
import { createTestDatabase } from "./support/databases.ts";

storeContract("postgres");

describe("PostgreSQL change notices", () => {
  test("every table tells the read caches of other replicas when it changes", async () => {
    const database = await createTestDatabase("postgres");
    const store = await database.open();
    const client = new pg.Client({ connectionString: database.location });
    await client.connect();
    try {
      const { rows } = await client.query<{ table: string; notifies: boolean }>(
        `select c.relname as table,
                exists (select 1 from pg_trigger t
                        where t.tgrelid = c.oid and t.tgname = c.relname || '_notify_change') as notifies
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = $1 and c.relkind = 'r' and c.relname <> 'slipway_migrations'`,
        [database.schema],
      );
      assert.ok(rows.length >= 11, `expected the store's tables, found ${rows.map((r) => r.table)}`);
      assert.deepEqual(
        rows.filter((r) => !r.notifies).map((r) => r.table),
        [],
        "tables without a change trigger: add them to changeNotifiedTables in a migration",
      );
    } finally {
      await client.end();
      await store.close();
      await database.dispose();
    }
  });
});
