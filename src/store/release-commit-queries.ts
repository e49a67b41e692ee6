/**
 * The commits each release brings (migration 11), written with the release and read for the
 * promotion's dry run and for DORA's lead time. A release recorded without them (before migration
 * 11, or not read from git) brings, for its readers, just its own commit.
 */
import type { Kysely } from "kysely";
import { z } from "zod";
import type { DoraRelease } from "../delivery/dora.ts";
import type { StoreContext } from "./context.ts";
import { commitShaSchema, timestampSchema } from "./records.ts";
import type { Tables } from "./tables.ts";

/** One commit a release brings: the first line of its message, never its body. */
export const releaseCommitSchema = z.object({
  sha: commitShaSchema,
  /** `Name <email>`, as git has it. */
  author: z.string(),
  authoredAt: timestampSchema,
  subject: z.string(),
});
export type ReleaseCommit = z.infer<typeof releaseCommitSchema>;

/** What a release recorded of the commits it brings. */
export interface NewReleaseCommits {
  /** Newest first; at most the cap the reader applied. */
  readonly items: readonly ReleaseCommit[];
  /** How many commits the range holds, also past the cap. */
  readonly total: number;
  /** The earlier release of the app whose commit is an ancestor of this one's, if any. */
  readonly containsReleaseId: string | null;
}

export interface ReleaseCommitRange extends NewReleaseCommits {
  readonly releaseId: string;
}

/** Inside the release's transaction (see `createRelease`): recorded once, never changed. */
export async function insertReleaseCommits(
  trx: Kysely<Tables>,
  releaseId: string,
  commits: NewReleaseCommits,
): Promise<void> {
  await trx
    .insertInto("releaseCommitRanges")
    .values({ releaseId, total: commits.total, containsReleaseId: commits.containsReleaseId })
    .execute();
  // Batches keep each statement well under both databases' limits on bound parameters.
  const rows = commits.items.map((c, position) => ({ releaseId, position, ...releaseCommitSchema.parse(c) }));
  for (let i = 0; i < rows.length; i += 100) {
    await trx
      .insertInto("releaseCommits")
      .values(rows.slice(i, i + 100))
      .execute();
  }
}

/** The recorded commit ranges of these releases; a release without one is absent from the answer. */
/** Release ids per statement: well under both databases' limits on bound parameters. */
export const idsPerQuery = 500;

export async function listReleaseCommits(
  ctx: StoreContext,
  releaseIds: readonly string[],
): Promise<readonly ReleaseCommitRange[]> {
  const ids = [...new Set(releaseIds)];
  const ranges: ReleaseCommitRange[] = [];
  for (let i = 0; i < ids.length; i += idsPerQuery) {
    ranges.push(...(await releaseCommitsOf(ctx, ids.slice(i, i + idsPerQuery))));
  }
  return ranges;
}

async function releaseCommitsOf(ctx: StoreContext, ids: readonly string[]): Promise<ReleaseCommitRange[]> {
  const [ranges, commits] = await Promise.all([
    ctx.db.selectFrom("releaseCommitRanges").selectAll().where("releaseId", "in", ids).execute(),
    ctx.db
      .selectFrom("releaseCommits")
      .selectAll()
      .where("releaseId", "in", ids)
      .orderBy("releaseId")
      .orderBy("position")
      .execute(),
  ]);
  const byRelease = groupByRelease(commits);
  return ranges.map((r) => ({
    releaseId: r.releaseId,
    total: Number(r.total),
    containsReleaseId: r.containsReleaseId,
    items: (byRelease.get(r.releaseId) ?? []).map((c) =>
      releaseCommitSchema.parse({
        sha: c.sha,
        author: c.author,
        authoredAt: c.authoredAt,
        subject: c.subject,
      }),
    ),
  }));
}

/**
 * Every release of one app, or of every app of a team, recorded before `until`, with the commits
 * it brought (its own commit when none were recorded) and the release it holds: what DORA's lead
 * time needs to know which commits a deployment brought to production.
 */
export async function listDeliveryReleases(ctx: StoreContext, filter: ReleaseScope): Promise<DoraRelease[]> {
  const [rows, commits] = await Promise.all([
    releaseLinkRows(ctx, filter),
    releasesInScope(ctx, filter)
      .innerJoin("releaseCommits as c", "c.releaseId", "releases.id")
      .select(["c.releaseId", "c.position", "c.sha", "c.authoredAt"])
      .orderBy("c.releaseId")
      .orderBy("c.position")
      .execute(),
  ]);
  const byRelease = groupByRelease(commits);
  return rows.map((r) => ({
    id: r.id,
    appName: r.appName,
    commits:
      r.rangeOf === null
        ? [{ sha: r.commitSha, time: r.commitTime }]
        : (byRelease.get(r.id) ?? []).map((c) => ({ sha: c.sha, time: c.authoredAt })),
    contains: r.containsReleaseId ?? null,
  }));
}

/** An app's releases, a team's, or every one, made before `until`. */
export interface ReleaseScope {
  readonly appName?: string | undefined;
  readonly teamName?: string | undefined;
  readonly until: string;
}

function releasesInScope(ctx: StoreContext, filter: ReleaseScope) {
  let releases = ctx.db
    .selectFrom("releases")
    .innerJoin("apps", "apps.id", "releases.appId")
    .innerJoin("teams", "teams.id", "apps.teamId")
    .where("releases.createdAt", "<", filter.until);
  if (filter.appName !== undefined) releases = releases.where("apps.name", "=", filter.appName);
  if (filter.teamName !== undefined) releases = releases.where("teams.name", "=", filter.teamName);
  return releases;
}

/**
 * The scope's releases in id order, one short row each, no commits: whether the commits it brings
 * were recorded (`rangeOf`, null if not) and the release it holds.
 */
export function releaseLinkRows(ctx: StoreContext, filter: ReleaseScope) {
  return releasesInScope(ctx, filter)
    .leftJoin("releaseCommitRanges as r", "r.releaseId", "releases.id")
    .select([
      "releases.id",
      "apps.name as appName",
      "releases.commitSha",
      "releases.commitTime",
      "r.releaseId as rangeOf",
      "r.containsReleaseId",
    ])
    .orderBy("releases.id")
    .execute();
}

function groupByRelease<T extends { releaseId: string }>(rows: readonly T[]): Map<string, T[]> {
  const byRelease = new Map<string, T[]>();
  for (const row of rows) {
    const list = byRelease.get(row.releaseId);
    if (list === undefined) byRelease.set(row.releaseId, [row]);
    else list.push(row);
  }
  return byRelease;
}
