/**
 * Deployment events in one store-wide numbering. A stream resumed after event N (`Last-Event-ID`)
 * must never miss an event that becomes visible later with a smaller number — which is what
 * numbering at insert allows, since transactions commit in another order than they insert. Holding
 * a counter lock from insert to commit would fix the order but serialize every status change
 * behind the previous one's commit (its fsync): about 50 deployments a second on PostgreSQL.
 *
 * So events are written unnumbered, and `numberEvents` numbers the committed ones afterwards, in
 * one transaction that holds the `events` counter row: runs of it take turns on that row, each sees
 * only committed events, and a later run's numbers are all higher than an earlier run's. A reader
 * that has seen number N can therefore never be shown a smaller one later. Streams call it before
 * they read (`GET /api/v1/events`), so events are numbered within a poll of being committed.
 */
import { sql, type Transaction } from "kysely";
import type { StoreContext } from "./context.ts";
import { newId } from "./ids.ts";
import type { DeploymentStatus, StatusEvent } from "./records.ts";
import { statusEventSchema } from "./records.ts";
import type { Tables } from "./tables.ts";

interface NewEvent {
  readonly deploymentId: string;
  readonly status: DeploymentStatus;
  readonly message: string;
  readonly at: string;
}

const pending = new WeakMap<Transaction<Tables>, NewEvent[]>();

/** Runs `work` in `trx`, then writes the events it appended, in one statement. */
export async function withEvents<T>(trx: Transaction<Tables>, work: () => Promise<T>): Promise<T> {
  const events: NewEvent[] = [];
  pending.set(trx, events);
  try {
    const result = await work();
    if (events.length > 0) {
      await trx
        .insertInto("deploymentEvents")
        .values(events.map((event) => ({ id: newId("evt"), seq: null, ...event })))
        .execute();
    }
    return result;
  } finally {
    pending.delete(trx);
  }
}

/** Queues an event of the transaction; `withEvents` writes it at the end. */
export function appendEvent(trx: Transaction<Tables>, event: NewEvent): void {
  const events = pending.get(trx);
  if (events === undefined) throw new Error("appendEvent outside withEvents");
  events.push(event);
}

const batch = 500;

/** Numbers committed events that have no number yet, oldest first; returns how many. */
export async function numberEvents(ctx: StoreContext): Promise<number> {
  return ctx.db.transaction().execute(async (trx) => {
    // Take turns: the counter row stays locked until this commits (SQLite: the one writer).
    const counter =
      ctx.dialect === "postgres"
        ? (
            await sql<{ value: number }>`select value from counters where name = 'events' for update`.execute(
              trx,
            )
          ).rows[0]
        : await trx.selectFrom("counters").select("value").where("name", "=", "events").executeTakeFirst();
    const ids = await trx
      .selectFrom("deploymentEvents")
      .select("id")
      .where("seq", "is", null)
      .orderBy("id")
      .limit(batch)
      .execute();
    if (ids.length === 0) return 0;
    const first = Number(counter?.value ?? 0) + 1;
    const cases = sql.join(
      ids.map((row, i) => sql`when ${row.id} then cast(${first + i} as integer)`),
      sql` `,
    );
    await trx
      .updateTable("deploymentEvents")
      .set({ seq: sql`case id ${cases} end` })
      .where(
        "id",
        "in",
        ids.map((row) => row.id),
      )
      .execute();
    await trx
      .updateTable("counters")
      .set({ value: first + ids.length - 1 })
      .where("name", "=", "events")
      .execute();
    return ids.length;
  });
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
    .where("deploymentEvents.seq", "is not", null)
    .orderBy("deploymentEvents.seq")
    .limit(filter.limit);
  if (filter.teams !== undefined) query = query.where("teams.name", "in", [...filter.teams]);
  if (filter.deploymentId !== undefined) {
    query = query.where("deploymentEvents.deploymentId", "=", filter.deploymentId);
  }
  return (await query.execute()).map((row) => statusEventSchema.parse(row));
}

/** The newest numbered event's number (0 when there is none): what a stream polls to learn there is more. */
export async function lastEventSeq(ctx: StoreContext): Promise<number> {
  const row = await ctx.db
    .selectFrom("counters")
    .select("value")
    .where("name", "=", "events")
    .executeTakeFirst();
  return row?.value ?? 0;
}
