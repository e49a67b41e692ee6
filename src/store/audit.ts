/**
 * The one way a store mutation writes its audit row: inside the caller's transaction, with the
 * SHA-256 of the record before and after (null where there was no record), never the record itself
 * (a hash shows that something changed without copying data, or secrets, into the audit log).
 */
import type { Transaction } from "kysely";
import type { StoreContext } from "./context.ts";
import { hashRecord, newId } from "./ids.ts";
import { decodeCursor, toPage } from "./paging.ts";
import { type AuditEvent, auditEventSchema, type Page, type PageRequest } from "./records.ts";
import type { Actor, AuditFilter } from "./store.ts";
import type { Tables } from "./tables.ts";

export interface AuditEntry {
  readonly actor: Actor;
  readonly action: string;
  readonly subject: string;
  readonly teamName: string | null;
  readonly before: unknown;
  readonly after: unknown;
  readonly at: string;
}

export async function appendAudit(trx: Transaction<Tables>, entry: AuditEntry): Promise<void> {
  await trx
    .insertInto("auditEvents")
    .values({
      id: newId("aud"),
      at: entry.at,
      actor: entry.actor.subject,
      action: entry.action,
      subject: entry.subject,
      teamName: entry.teamName,
      beforeHash: entry.before === null ? null : hashRecord(entry.before),
      afterHash: entry.after === null ? null : hashRecord(entry.after),
    })
    .execute();
}

export async function listAudit(
  ctx: StoreContext,
  filter: AuditFilter,
  page: PageRequest,
): Promise<Page<AuditEvent>> {
  if (filter.teams !== undefined && filter.teams.length === 0) return { items: [], nextCursor: null };
  const after = decodeCursor("audit", page.cursor);
  let query = ctx.db
    .selectFrom("auditEvents")
    .selectAll()
    .orderBy("id", "desc")
    .limit(page.limit + 1);
  if (filter.teams !== undefined) query = query.where("teamName", "in", [...filter.teams]);
  if (after !== undefined) query = query.where("id", "<", after);
  const rows = (await query.execute()).map((r) => auditEventSchema.parse(r));
  return toPage("audit", rows, page.limit, (e) => e.id);
}
