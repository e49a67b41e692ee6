/**
 * History reads: an app's releases and deployments as one timeline (`GET /apps/:app/history`), and
 * the deployments of one channel with their status changes, which the DORA numbers are computed
 * from. Both only read; nothing here or anywhere else deletes history.
 */
import type { ExpressionBuilder, Kysely } from "kysely";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { DoraDeployment } from "../delivery/dora.ts";
import {
  failedStatuses,
  type HistoryDeployment,
  type HistoryItem,
  type HistoryRelease,
  historyDeploymentSchema,
  historyReleaseSchema,
  newestFirst,
} from "../delivery/history.ts";
import { getApp } from "./app-queries.ts";
import type { StoreContext } from "./context.ts";
import { decodeCursor, encodeCursor } from "./paging.ts";
import type { Page, PageRequest } from "./records.ts";
import type { Tables } from "./tables.ts";

/** A history cursor is the last item's time and id: the timeline merges two tables, so no one id orders it. */
function afterKey(cursor: string | undefined): { at: string; id: string } | undefined {
  const key = decodeCursor("history", cursor);
  if (key === undefined) return undefined;
  const [at, id] = key.split("|");
  if (at === undefined || id === undefined || Number.isNaN(Date.parse(at))) {
    throw new SlipwayError(
      ErrorCode.Input,
      "query parameter cursor is not valid: pass back the nextCursor of a previous page",
      { details: { field: "cursor" } },
    );
  }
  return { at, id };
}

export async function listHistory(
  ctx: StoreContext,
  appName: string,
  page: PageRequest,
): Promise<Page<HistoryItem>> {
  const after = afterKey(page.cursor);
  const [releases, deployments] = await Promise.all([
    releaseItems(ctx.db, appName, page.limit + 1, after),
    deploymentItems(ctx.db, appName, page.limit + 1, after),
  ]);
  const merged = [...releases, ...deployments].sort(newestFirst).slice(0, page.limit + 1);
  if (merged.length === 0) await getApp(ctx, appName);
  const items = merged.slice(0, page.limit);
  const last = items[items.length - 1];
  const more = merged.length > page.limit && last !== undefined;
  return {
    items: await withReplaced(ctx.db, items),
    nextCursor: more ? encodeCursor("history", `${last.at}|${idOf(last)}`) : null,
  };
}

function idOf(item: HistoryItem): string {
  return item.kind === "release" ? item.releaseId : item.deploymentId;
}

async function releaseItems(
  db: Kysely<Tables>,
  appName: string,
  limit: number,
  after: { at: string; id: string } | undefined,
): Promise<HistoryRelease[]> {
  let query = db
    .selectFrom("releases")
    .innerJoin("apps", "apps.id", "releases.appId")
    .leftJoin("releaseCommitRanges", "releaseCommitRanges.releaseId", "releases.id")
    .select([
      "releases.id",
      "releases.commitSha",
      "releases.commitTime",
      "releases.commitAuthor",
      "releaseCommitRanges.total as commitCount",
      "releases.imageDigest",
      "releases.createdBy",
      "releases.createdAt",
    ])
    .where("apps.name", "=", appName)
    .orderBy("releases.createdAt", "desc")
    .orderBy("releases.id", "desc")
    .limit(limit);
  if (after !== undefined) {
    query = query.where((eb) =>
      eb.or([
        eb("releases.createdAt", "<", after.at),
        eb.and([eb("releases.createdAt", "=", after.at), eb("releases.id", "<", after.id)]),
      ]),
    );
  }
  return (await query.execute()).map((r) =>
    historyReleaseSchema.parse({
      kind: "release",
      at: r.createdAt,
      releaseId: r.id,
      commitSha: r.commitSha,
      commitTime: r.commitTime,
      commitAuthor: r.commitAuthor,
      commitCount: r.commitCount === null ? null : Number(r.commitCount),
      imageDigest: r.imageDigest,
      createdBy: r.createdBy,
    }),
  );
}

/** The first time a deployment reached a failed status, as a correlated subquery. */
function firstFailure(eb: ExpressionBuilder<Tables & { d: Tables["deployments"] }, "d">) {
  return eb
    .selectFrom("deploymentEvents as e")
    .select((e) => e.fn.min("e.at").as("at"))
    .whereRef("e.deploymentId", "=", "d.id")
    .where("e.status", "in", [...failedStatuses]);
}

/** The latest earlier deployment of the same app and channel that became available. */
function replacedDeployment(eb: ExpressionBuilder<Tables & { d: Tables["deployments"] }, "d">) {
  return eb
    .selectFrom("deployments as p")
    .select("p.id")
    .whereRef("p.appId", "=", "d.appId")
    .whereRef("p.targetId", "=", "d.targetId")
    .whereRef("p.sequence", "<", "d.sequence")
    .where("p.availableAt", "is not", null)
    .orderBy("p.sequence", "desc")
    .limit(1);
}

async function deploymentItems(
  db: Kysely<Tables>,
  appName: string,
  limit: number,
  after: { at: string; id: string } | undefined,
): Promise<HistoryDeployment[]> {
  let query = db
    .selectFrom("deployments as d")
    .innerJoin("apps", "apps.id", "d.appId")
    .innerJoin("targets", "targets.id", "d.targetId")
    .innerJoin("releases", "releases.id", "d.releaseId")
    .select((eb) => [
      "d.id",
      "targets.name as targetName",
      "d.sequence",
      "d.status",
      "d.releaseId",
      "releases.commitSha",
      "releases.commitTime",
      "releases.imageDigest",
      "releases.createdAt as releaseCreatedAt",
      "d.createdBy",
      "d.startedAt",
      "d.availableAt",
      firstFailure(eb).as("failedAt"),
      replacedDeployment(eb).as("replacesId"),
    ])
    .where("apps.name", "=", appName)
    .orderBy("d.startedAt", "desc")
    .orderBy("d.id", "desc")
    .limit(limit);
  if (after !== undefined) {
    query = query.where((eb) =>
      eb.or([
        eb("d.startedAt", "<", after.at),
        eb.and([eb("d.startedAt", "=", after.at), eb("d.id", "<", after.id)]),
      ]),
    );
  }
  return (await query.execute()).map((r) => {
    const item = historyDeploymentSchema.parse({
      kind: "deployment",
      at: r.startedAt,
      deploymentId: r.id,
      targetName: r.targetName,
      sequence: Number(r.sequence),
      status: r.status,
      releaseId: r.releaseId,
      commitSha: r.commitSha,
      commitTime: r.commitTime,
      imageDigest: r.imageDigest,
      releaseCreatedAt: r.releaseCreatedAt,
      createdBy: r.createdBy,
      startedAt: r.startedAt,
      availableAt: r.availableAt,
      failedAt: r.failedAt ?? null,
      replaces: null,
    });
    // Carried to `withReplaced`, which looks the replaced deployments up in one query.
    return r.replacesId ? Object.assign(item, { replacesId: r.replacesId }) : item;
  });
}

async function withReplaced(db: Kysely<Tables>, items: HistoryItem[]): Promise<HistoryItem[]> {
  const wanted = items.flatMap((i) => {
    const id = (i as { replacesId?: string }).replacesId;
    return id === undefined ? [] : [id];
  });
  const found =
    wanted.length === 0
      ? []
      : await db
          .selectFrom("deployments")
          .select(["id", "sequence", "releaseId"])
          .where("id", "in", [...new Set(wanted)])
          .execute();
  const byId = new Map(found.map((d) => [d.id, d]));
  return items.map((item) => {
    if (item.kind !== "deployment") return item;
    const { replacesId, ...rest } = item as HistoryDeployment & { replacesId?: string };
    const replaced = replacesId === undefined ? undefined : byId.get(replacesId);
    return {
      ...rest,
      replaces:
        replaced === undefined
          ? null
          : { deploymentId: replaced.id, sequence: Number(replaced.sequence), releaseId: replaced.releaseId },
    };
  });
}

/**
 * Every deployment to `targetName` of one app, or of every app of a team, that started before
 * `until`, with its release's commit and all its status changes, oldest first. The DORA numbers
 * need the channel's whole past (what was available before, what a rollback put back), not only
 * the window's.
 */
export async function listDeliveryRecords(
  ctx: StoreContext,
  filter: { appName?: string | undefined; teamName?: string | undefined; targetName: string; until: string },
): Promise<DoraDeployment[]> {
  let deployments = ctx.db
    .selectFrom("deployments as d")
    .innerJoin("apps", "apps.id", "d.appId")
    .innerJoin("teams", "teams.id", "apps.teamId")
    .innerJoin("targets", "targets.id", "d.targetId")
    .innerJoin("releases", "releases.id", "d.releaseId")
    .where("targets.name", "=", filter.targetName)
    .where("d.startedAt", "<", filter.until);
  if (filter.appName !== undefined) deployments = deployments.where("apps.name", "=", filter.appName);
  if (filter.teamName !== undefined) deployments = deployments.where("teams.name", "=", filter.teamName);
  const [rows, events] = await Promise.all([
    deployments
      .select([
        "d.id",
        "apps.name as appName",
        "targets.name as targetName",
        "d.sequence",
        "d.releaseId",
        "releases.commitSha",
        "releases.commitTime",
        "d.startedAt",
      ])
      .orderBy("apps.name")
      .orderBy("d.sequence")
      .execute(),
    deployments
      .innerJoin("deploymentEvents as e", "e.deploymentId", "d.id")
      .select(["e.deploymentId", "e.status", "e.at"])
      .where("e.at", "<", filter.until)
      .orderBy("e.deploymentId")
      .orderBy("e.at")
      .orderBy("e.id")
      .execute(),
  ]);
  const byDeployment = new Map<string, { status: string; at: string }[]>();
  for (const e of events) {
    const list = byDeployment.get(e.deploymentId) ?? [];
    if (list.length === 0) byDeployment.set(e.deploymentId, list);
    list.push({ status: e.status, at: e.at });
  }
  return rows.map((r) => ({
    id: r.id,
    appName: r.appName,
    targetName: r.targetName,
    sequence: Number(r.sequence),
    releaseId: r.releaseId,
    commitSha: r.commitSha,
    commitTime: r.commitTime,
    startedAt: r.startedAt,
    events: byDeployment.get(r.id) ?? [],
  }));
}
