/** Releases (immutable, unique per app, commit and digest) and their approvals. */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { getApp, getTarget } from "./app-queries.ts";
import { appendAudit } from "./audit.ts";
import { notFound, type StoreContext, uniquely } from "./context.ts";
import { newId } from "./ids.ts";
import { decodeCursor, toPage } from "./paging.ts";
import {
  type Approval,
  approvalSchema,
  type Page,
  type PageRequest,
  type Release,
  releaseSchema,
} from "./records.ts";
import { insertReleaseCommits } from "./release-commit-queries.ts";
import { insertSnapshot } from "./snapshot-queries.ts";
import type { Actor, NewRelease } from "./store.ts";

function releasesQuery(ctx: Pick<StoreContext, "db">) {
  return ctx.db
    .selectFrom("releases")
    .innerJoin("apps", "apps.id", "releases.appId")
    .select([
      "releases.id",
      "apps.name as appName",
      "releases.commitSha",
      "releases.imageDigest",
      "releases.specHash",
      "releases.secretsHash",
      "releases.commitTime",
      "releases.createdBy",
      "releases.createdAt",
      "releases.repository",
      "releases.sourcePath as path",
      "releases.commitAuthor",
      "releases.commitMessage",
      "releases.committedAt",
    ]);
}

export async function createRelease(
  ctx: StoreContext,
  actor: Actor,
  input: NewRelease,
): Promise<{ release: Release; created: boolean }> {
  const app = await getApp(ctx, input.appName);
  const findSame = async () => {
    const row = await releasesQuery(ctx)
      .where("releases.appId", "=", app.id)
      .where("releases.commitSha", "=", input.commitSha)
      .where("releases.imageDigest", "=", input.imageDigest)
      .executeTakeFirst();
    return row === undefined ? undefined : releaseSchema.parse(row);
  };
  // A release is immutable: the same (app, commit, digest) again is the same release, or a mistake.
  const checkSame = (existing: Release) => {
    if (existing.specHash !== input.specHash || existing.secretsHash !== input.secretsHash) {
      throw new SlipwayError(
        ErrorCode.Conflict,
        `release ${existing.id} of ${input.appName} at ${input.commitSha} with ${input.imageDigest} already exists with a different spec or secrets hash; releases are immutable`,
        { details: { release: existing.id } },
      );
    }
    return { release: existing, created: false };
  };
  const existing = await findSame();
  if (existing) return checkSame(existing);
  const { files, commits, ...fields } = input;
  const release: Release = releaseSchema.parse({
    repository: null,
    path: null,
    commitAuthor: null,
    commitMessage: null,
    committedAt: null,
    ...fields,
    id: newId("rel"),
    createdBy: actor.subject,
    createdAt: ctx.now(),
  });
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const { appName: _appName, path, ...columns } = release;
      await trx
        .insertInto("releases")
        .values({ ...columns, sourcePath: path, appId: app.id })
        .execute();
      // The snapshot commits with its release or not at all: no release without its files.
      if (files !== undefined) await insertSnapshot(trx, release.id, files);
      // So are the commits it brings: written once, with it.
      if (commits !== undefined) await insertReleaseCommits(trx, release.id, commits);
      await appendAudit(trx, {
        actor,
        action: "release.create",
        subject: `app/${app.name}/release/${release.id}`,
        teamName: app.teamName,
        before: null,
        after: release,
        at: release.createdAt,
      });
    });
  } catch (error) {
    // Another writer created the same release between our read and our insert.
    if (!ctx.isUniqueViolation(error)) throw error;
    const raced = await findSame();
    if (raced === undefined) throw error;
    return checkSame(raced);
  }
  return { release, created: true };
}

/** The release of `appName` at (commit, digest), if there is one: what creating it again would return. */
export async function findRelease(
  ctx: StoreContext,
  appName: string,
  identity: { commitSha: string; imageDigest: string },
): Promise<Release | undefined> {
  const row = await releasesQuery(ctx)
    .where("apps.name", "=", appName)
    .where("releases.commitSha", "=", identity.commitSha)
    .where("releases.imageDigest", "=", identity.imageDigest)
    .executeTakeFirst();
  return row === undefined ? undefined : releaseSchema.parse(row);
}

export async function getRelease(ctx: StoreContext, id: string): Promise<Release> {
  const row = await releasesQuery(ctx).where("releases.id", "=", id).executeTakeFirst();
  if (row === undefined) throw notFound("release", id);
  return releaseSchema.parse(row);
}

export async function listReleases(
  ctx: StoreContext,
  appName: string,
  page: PageRequest,
): Promise<Page<Release>> {
  const after = decodeCursor("releases", page.cursor);
  // Filter by name through the join: one round trip on the hot read path; only an empty page
  // pays a second query to tell "no releases yet" from "no such app".
  const key = `listReleases:${after !== undefined}`;
  const found = await ctx.compiled.rows(
    key,
    [appName, page.limit + 1, after],
    (db, [name, limit, afterId]) => {
      let query = releasesQuery({ db })
        .where("apps.name", "=", name)
        .orderBy("releases.id", "desc")
        .limit(limit);
      if (after !== undefined) query = query.where("releases.id", "<", afterId as string);
      return query;
    },
  );
  const rows = found.map((r) => releaseSchema.parse(r));
  if (rows.length === 0) await getApp(ctx, appName);
  return toPage("releases", rows, page.limit, (r) => r.id);
}

export async function recordApproval(
  ctx: StoreContext,
  actor: Actor,
  input: { releaseId: string; targetName: string },
): Promise<Approval> {
  const release = await getRelease(ctx, input.releaseId);
  const app = await getApp(ctx, release.appName);
  const target = await getTarget(ctx, input.targetName);
  await refuseSelfApproval(ctx, actor, release, target.id, target.name, app.teamName);
  const approval: Approval = approvalSchema.parse({
    id: newId("apr"),
    releaseId: release.id,
    targetName: target.name,
    approvedBy: actor.subject,
    createdAt: ctx.now(),
  });
  await uniquely(ctx, "approval", `${release.id} for ${target.name} by ${actor.subject}`, () =>
    ctx.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("approvals")
        .values({
          id: approval.id,
          releaseId: release.id,
          targetId: target.id,
          approvedBy: approval.approvedBy,
          createdAt: approval.createdAt,
          decision: "approved",
          reason: null,
        })
        .execute();
      await appendAudit(trx, {
        actor,
        action: "approval.create",
        subject: `app/${app.name}/release/${release.id}/target/${target.name}`,
        teamName: app.teamName,
        before: null,
        after: approval,
        at: approval.createdAt,
      });
    }),
  );
  return approval;
}

/**
 * Four eyes: whoever recorded the release, or started a deployment of it to the target, cannot be
 * the one who approves it there. Checked in the store, so every way in (API, engine) keeps it.
 */
async function refuseSelfApproval(
  ctx: StoreContext,
  actor: Actor,
  release: Release,
  targetId: string,
  targetName: string,
  teamName: string,
): Promise<void> {
  const forbidden = (what: string) =>
    new SlipwayError(
      ErrorCode.Forbidden,
      `${actor.subject} ${what}, so cannot approve it: an approval must come from someone else (another releaser of team "${teamName}")`,
      { details: { release: release.id, target: targetName, approver: actor.subject } },
    );
  if (release.createdBy === actor.subject) throw forbidden(`recorded release ${release.id}`);
  const deployed = await ctx.db
    .selectFrom("deployments")
    .select("id")
    .where("releaseId", "=", release.id)
    .where("targetId", "=", targetId)
    .where("createdBy", "=", actor.subject)
    .executeTakeFirst();
  if (deployed !== undefined) {
    throw forbidden(`started deployment ${deployed.id} of release ${release.id} to ${targetName}`);
  }
}

export async function listApprovals(ctx: StoreContext, releaseId: string): Promise<readonly Approval[]> {
  await getRelease(ctx, releaseId);
  const rows = await ctx.db
    .selectFrom("approvals")
    .innerJoin("targets", "targets.id", "approvals.targetId")
    .select([
      "approvals.id",
      "approvals.releaseId",
      "targets.name as targetName",
      "approvals.approvedBy",
      "approvals.createdAt",
      "approvals.decision",
      "approvals.reason",
    ])
    .where("approvals.releaseId", "=", releaseId)
    .orderBy("approvals.id")
    .execute();
  return rows.map((r) => approvalSchema.parse(r));
}
