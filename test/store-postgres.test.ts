import assert from "node:assert/strict";
import { describe, test } from "node:test";
import pg from "pg";
import { changeScopes } from "../src/store/change-scopes.ts";
import { migrations } from "../src/store/migrations.ts";
import { openPostgresStore } from "../src/store/open.ts";
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

  test("every table of a scope tells that scope's caches when it changes (cached principals, teams, apps)", async () => {
    const database = await createTestDatabase("postgres");
    const store = await database.open();
    const client = new pg.Client({ connectionString: database.location });
    await client.connect();
    try {
      const expected = Object.entries(changeScopes).flatMap(([scope, tables]) =>
        tables.map((table) => `${table}_notify_${scope}_change`),
      );
      const { rows } = await client.query<{ name: string }>(
        `select t.tgname as name from pg_trigger t
         join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = $1 and t.tgname = any($2)`,
        [database.schema, expected],
      );
      const found = new Set(rows.map((r) => r.name));
      // Without its trigger, another replica's change to such a table would never reach this
      // replica's scoped caches: a revoked token or a removed membership would stay honoured.
      assert.deepEqual(
        expected.filter((name) => !found.has(name)),
        [],
        "scope tables without their scope's trigger: add it in a migration",
      );
    } finally {
      await client.end();
      await store.close();
      await database.dispose();
    }
  });
});

describe("PostgreSQL under a least-privilege role", () => {
  test("the server works; the audit log can only grow; a pending migration says who must run it", async () => {
    const database = await createTestDatabase("postgres");
    const schema = database.schema;
    assert.ok(schema);
    const owner = await database.open();
    await owner.close();
    // Roles belong to the whole cluster: a name of this run's own.
    const role = `slipway_app_${database.schema}`;
    const admin = new pg.Client({ connectionString: database.location });
    await admin.connect();
    const asRole = database.location.replace("postgres@", `${role}@`);
    const raw = new pg.Client({ connectionString: asRole, options: `-c search_path=${database.schema}` });
    try {
      // As docs/server.md says: everything on the other tables, only insert and select on the audit log.
      await admin.query(`create role ${role} login`);
      await admin.query(`grant usage on schema ${database.schema} to ${role}`);
      await admin.query(
        `grant select, insert, update, delete on all tables in schema ${database.schema} to ${role}`,
      );
      await admin.query(`revoke update, delete, truncate on ${database.schema}.audit_events from ${role}`);

      const store = await openPostgresStore(asRole, { schema });
      try {
        await store.createTeam({ userId: "u", subject: "test:app-role" }, "payments");
        assert.deepEqual(
          (await store.listAudit({}, { limit: 5 })).items.map((e) => `${e.action} by ${e.actor}`),
          ["team.create by test:app-role"],
        );
      } finally {
        await store.close();
      }
      await raw.connect();
      for (const statement of [
        "truncate audit_events",
        "delete from audit_events",
        "update audit_events set actor = 'mallory'",
        "alter table audit_events disable trigger user",
        "drop table audit_events",
      ]) {
        await assert.rejects(raw.query(statement), /permission denied|must be owner/, statement);
      }
      await assert.rejects(
        openPostgresStore(asRole, {
          schema,
          migrations: [
            ...migrations,
            {
              version: 1000,
              name: "a later table",
              up: async (db) => {
                await db.schema.createTable("later").addColumn("id", "text").execute();
              },
            },
          ],
        }),
        /migration 1000 \(a later table\) needs to change the schema, which this database role may not/,
      );
    } finally {
      await raw.end().catch(() => {});
      await admin.query(`drop owned by ${role}`).catch(() => {});
      await admin.query(`drop role if exists ${role}`);
      await admin.end();
      await database.dispose();
    }
  });
});
