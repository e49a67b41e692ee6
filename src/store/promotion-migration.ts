/**
 * Migration 9: what promotion and rollback record. Why each deployment was started (a promotion
 * from which channel, a rollback of which deployment, or an automatic one), an approval's answer
 * (approved, or rejected with a reason), and the platform-wide "stop the line" with its history.
 */
import type { Transaction } from "kysely";
import { type Dialect, type Migration, notifyChanges } from "./migrations.ts";
import type { Tables } from "./tables.ts";

export const promotionMigration: Migration = {
  version: 9,
  name: "deployment causes, approval decisions, line stops",
  async up(db: Transaction<Tables>, dialect: Dialect) {
    await db.schema
      .createTable("deployment_causes")
      .addColumn("deployment_id", "text", (c) => c.primaryKey().references("deployments.id"))
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("from_target", "text")
      .addColumn("rollback_of", "text")
      .addColumn("reason", "text")
      .execute();
    // Existing rows were approvals: the only answer there was.
    await db.schema
      .alterTable("approvals")
      .addColumn("decision", "text", (c) => c.notNull().defaultTo("approved"))
      .execute();
    await db.schema.alterTable("approvals").addColumn("reason", "text").execute();
    await db.schema
      .createTable("line_stops")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("reason", "text", (c) => c.notNull())
      .addColumn("stopped_by", "text", (c) => c.notNull())
      .addColumn("stopped_at", "text", (c) => c.notNull())
      .addColumn("resumed_by", "text")
      .addColumn("resumed_at", "text")
      .execute();
    if (dialect === "postgres") {
      for (const table of ["deployment_causes", "line_stops"]) await notifyChanges(db, table);
    }
  },
};
