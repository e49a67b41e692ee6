/**
 * Migration 8: what the deployment engine needs (ADR 0010). Jobs with expiring leases and a
 * fencing token, and one store-wide numbering of deployment events, given after they commit, so
 * that an event stream resumed from a number never misses an event committed after it.
 */
import { sql, type Transaction } from "kysely";
import { type Dialect, type Migration, notifyChanges } from "./migrations.ts";
import type { Tables } from "./tables.ts";

export const jobsMigration: Migration = {
  version: 8,
  name: "deployment jobs with leases, event sequence",
  async up(db: Transaction<Tables>, dialect: Dialect) {
    await db.schema
      .createTable("deployment_jobs")
      .addColumn("deployment_id", "text", (c) => c.primaryKey().references("deployments.id"))
      .addColumn("app_id", "text", (c) => c.notNull().references("apps.id"))
      .addColumn("target_id", "text", (c) => c.notNull().references("targets.id"))
      .addColumn("state", "text", (c) => c.notNull())
      // Set by the first claim: a job waiting its turn behind another is not running out of time.
      .addColumn("deadline_at", "text")
      .addColumn("lease_owner", "text")
      .addColumn("lease_expires_at", "text")
      .addColumn("fence", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("apply_fence", "integer")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();
    // The claim query scans unfinished jobs only; finished ones pile up forever (history is kept).
    await db.schema
      .createIndex("deployment_jobs_open")
      .on("deployment_jobs")
      .columns(["state", "app_id", "target_id"])
      .execute();
    await db.schema
      .createTable("counters")
      .addColumn("name", "text", (c) => c.primaryKey())
      .addColumn("value", "integer", (c) => c.notNull())
      .execute();
    // Null until numbered (`event-queries.ts`): numbers are given to committed events only.
    await db.schema.alterTable("deployment_events").addColumn("seq", "integer").execute();
    // Events written before this migration get numbers in the order they were written (their ids
    // sort by time); a per-row loop because SQLite and PostgreSQL spell UPDATE … FROM differently.
    const old = await db.selectFrom("deploymentEvents").select("id").orderBy("id").execute();
    let seq = 0;
    for (const row of old) {
      seq++;
      await db.updateTable("deploymentEvents").set({ seq }).where("id", "=", row.id).execute();
    }
    await db.insertInto("counters").values({ name: "events", value: seq }).execute();
    await db.schema
      .createIndex("deployment_events_seq")
      .on("deployment_events")
      .column("seq")
      .unique()
      .execute();
    // What the numbering looks for: the few events not numbered yet.
    await db.schema
      .createIndex("deployment_events_unnumbered")
      .on("deployment_events")
      .column("id")
      .where(sql.ref("seq"), "is", null)
      .execute();
    if (dialect === "postgres") {
      for (const table of ["deployment_jobs", "counters"]) await notifyChanges(db, table);
    }
  },
};
