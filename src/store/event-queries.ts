/**
 * Deployment events in one store-wide sequence. A stream resumed after event N (`Last-Event-ID`)
 * must never miss an event that commits later with a smaller number, which is what a plain
 * PostgreSQL sequence allows (numbers are taken at insert, transactions commit in another order).
 * So every transaction that records events first takes the `events` counter row for update and
 * holds it until commit: numbers are handed out in commit order. Taking it first, before any other
 * row, also gives every such transaction the same lock order (no deadlocks between them). SQLite has
 * one writer, so its numbers are in commit order anyway.
 */
import { sql, type Transaction } from "kysely";
import type { StoreContext } from "./context.ts";
import { newId } from "./ids.ts";
import type { DeploymentStatus, StatusEvent } from "./records.ts";
import { statusEventSchema } from "./records.ts";
import type { Tables } from "./tables.ts";

/** Call first in every transaction that will `appendEvent`. */
export async function lockEventSequence(trx: Transaction<Tables>, ctx: StoreContext): Promise<void> {
  if (ctx.dialect !== "postgres") return;
  await sql`select value from counters where name = 'events' for update`.execute(trx);
}

export async function appendEvent(
  trx: Transaction<Tables>,
  event: { deploymentId: string; status: DeploymentStatus; message: string; at: string },
): Promise<number> {
  const { value } = await trx
    .updateTable("counters")
    .set({ value: sql`value + 1` })
    .where("name", "=", "events")
    .returning("value")
    .executeTakeFirstOrThrow();
  await trx
    .insertInto("deploymentEvents")
    .values({ id: newId("evt"), seq: value, ...event })
    .execute();
  return value;
}

export interface EventFilter {
  /** Only events after this number (exclusive). */
  readonly after: number;
  /** Only events of these teams' apps; undefined: every team (platform administrators). */
  readonly teams?: readonly string[] | undefined;
  readonly deploymentId?: string | undefined;
  readonly limit: number;
}

/** Oldest first. */
export async function listEvents(ctx: StoreContext, filter: EventFilter): Promise<readonly StatusEvent[]> {
  if (filter.teams !== undefined && filter.teams.length === 0) return [];
  let query = ctx.db
    .selectFrom("deploymentEvents")
    .innerJoin("deployments", "deployments.id", "deploymentEvents.deploymentId")
    .innerJoin("apps", "apps.id", "deployments.appId")
    .innerJoin("teams", "teams.id", "apps.teamId")
    .innerJoin("targets", "targets.id", "deployments.targetId")
    .select([
      "deploymentEvents.seq",
      "deploymentEvents.deploymentId",
      "deploymentEvents.status",
      "deploymentEvents.message",
      "deploymentEvents.at",
      "apps.name as appName",
      "targets.name as targetName",
      "teams.name as teamName",
      "deployments.releaseId",
    ])
    .where("deploymentEvents.seq", ">", filter.after)
    .orderBy("deploymentEvents.seq")
    .limit(filter.limit);
  if (filter.teams !== undefined) query = query.where("teams.name", "in", [...filter.teams]);
  if (filter.deploymentId !== undefined) {
    query = query.where("deploymentEvents.deploymentId", "=", filter.deploymentId);
  }
  return (await query.execute()).map((row) => statusEventSchema.parse(row));
}

/** The newest event's number (0 when there is none): what a stream polls to learn there is more. */
export async function lastEventSeq(ctx: StoreContext): Promise<number> {
  const row = await ctx.db
    .selectFrom("counters")
    .select("value")
    .where("name", "=", "events")
    .executeTakeFirst();
  return row?.value ?? 0;
}
