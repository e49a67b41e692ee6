/** Deployments of a release to a target, serialized per (app, target), with their status history. */
import type { Kysely } from "kysely";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { getApp, getTarget } from "./app-queries.ts";
import { appendAudit } from "./audit.ts";
import { notFound, type StoreContext } from "./context.ts";
import { newId } from "./ids.ts";
import { decodeCursor, toPage } from "./paging.ts";
import {
  type Deployment,
  type DeploymentEvent,
  DeploymentStatus,
  deploymentEventSchema,
  deploymentSchema,
  type Page,
  type PageRequest,
} from "./records.ts";
import { getRelease } from "./release-queries.ts";
import type { Actor } from "./store.ts";
import type { Tables } from "./tables.ts";

// Takes the handle explicitly: inside a transaction the query must run on the transaction, since
// SQLite has one connection and a query on the outer handle would wait for it forever.
function deploymentsQuery(db: Kysely<Tables>) {
  return db
    .selectFrom("deployments")
    .innerJoin("apps", "apps.id", "deployments.appId")
    .innerJoin("targets", "targets.id", "deployments.targetId")
    .select([
      "deployments.id",
      "apps.name as appName",
      "targets.name as targetName",
      "deployments.releaseId",
      "deployments.sequence",
      "deployments.status",
      "deployments.createdBy",
      "deployments.startedAt",
      "deployments.availableAt",
      "deployments.updatedAt",
    ]);
}

const live: readonly string[] = [
  DeploymentStatus.Pending,
  DeploymentStatus.Progressing,
  DeploymentStatus.Available,
];
const maxAttempts = 20;

export async function startDeployment(
  ctx: StoreContext,
  actor: Actor,
  input: { releaseId: string; targetName: string },
): Promise<Deployment> {
  const release = await getRelease(ctx, input.releaseId);
  const app = await getApp(ctx, release.appName);
  const target = await getTarget(ctx, input.targetName);
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.db.transaction().execute(async (trx) => {
        const now = ctx.now();
        const previous = await trx
          .selectFrom("deployments")
          .select(["id", "sequence", "status"])
          .where("appId", "=", app.id)
          .where("targetId", "=", target.id)
          .orderBy("sequence", "desc")
          .limit(1)
          .executeTakeFirst();
        const deployment: Deployment = deploymentSchema.parse({
          id: newId("dep"),
          appName: app.name,
          targetName: target.name,
          releaseId: release.id,
          sequence: (previous?.sequence ?? 0) + 1,
          status: DeploymentStatus.Pending,
          createdBy: actor.subject,
          startedAt: now,
          availableAt: null,
          updatedAt: now,
        });
        // The unique (app, target, sequence) key makes a concurrent writer that read the same
        // previous deployment fail here; it rolls back and retries on top of ours.
        const { appName: _a, targetName: _t, ...columns } = deployment;
        await trx
          .insertInto("deployments")
          .values({ ...columns, appId: app.id, targetId: target.id })
          .execute();
        await trx
          .insertInto("deploymentEvents")
          .values({
            id: newId("evt"),
            deploymentId: deployment.id,
            status: deployment.status,
            message: "",
            at: now,
          })
          .execute();
        if (previous !== undefined && live.includes(previous.status)) {
          await trx
            .updateTable("deployments")
            .set({ status: DeploymentStatus.Superseded, updatedAt: now })
            .where("id", "=", previous.id)
            .execute();
          await trx
            .insertInto("deploymentEvents")
            .values({
              id: newId("evt"),
              deploymentId: previous.id,
              status: DeploymentStatus.Superseded,
              message: `superseded by ${deployment.id}`,
              at: now,
            })
            .execute();
        }
        await appendAudit(trx, {
          actor,
          action: "deployment.start",
          subject: `app/${app.name}/target/${target.name}/deployment/${deployment.id}`,
          teamName: app.teamName,
          before: previous ?? null,
          after: deployment,
          at: now,
        });
        return deployment;
      });
    } catch (error) {
      if (!ctx.isUniqueViolation(error) || attempt >= maxAttempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }
}

/** Which status may follow which; superseded and failed are final. */
const transitions: Readonly<Record<string, readonly string[]>> = {
  pending: ["progressing", "available", "failed", "superseded"],
  progressing: ["progressing", "available", "failed", "superseded"],
  available: ["failed", "superseded"],
  failed: [],
  superseded: [],
};

export async function recordDeploymentStatus(
  ctx: StoreContext,
  actor: Actor,
  input: { deploymentId: string; status: DeploymentStatus; message: string },
): Promise<Deployment> {
  const current = await getDeployment(ctx, input.deploymentId);
  const { teamName } = await getApp(ctx, current.appName);
  return ctx.db.transaction().execute(async (trx) => {
    const row = await deploymentsQuery(trx)
      .where("deployments.id", "=", input.deploymentId)
      .executeTakeFirst();
    if (row === undefined) throw notFound("deployment", input.deploymentId);
    const before = deploymentSchema.parse(row);
    if (!(transitions[before.status] ?? []).includes(input.status)) {
      throw new SlipwayError(
        ErrorCode.Conflict,
        `deployment ${before.id} is ${before.status} and cannot become ${input.status}`,
        { details: { deployment: before.id, status: before.status, requested: input.status } },
      );
    }
    const now = ctx.now();
    const availableAt =
      input.status === DeploymentStatus.Available && before.availableAt === null ? now : before.availableAt;
    // The status guard in WHERE keeps two writers from both moving the same deployment.
    const result = await trx
      .updateTable("deployments")
      .set({ status: input.status, availableAt, updatedAt: now })
      .where("id", "=", before.id)
      .where("status", "=", before.status)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      throw new SlipwayError(ErrorCode.Conflict, `deployment ${before.id} changed meanwhile: read it again`, {
        details: { deployment: before.id },
      });
    }
    await trx
      .insertInto("deploymentEvents")
      .values({
        id: newId("evt"),
        deploymentId: before.id,
        status: input.status,
        message: input.message,
        at: now,
      })
      .execute();
    const after: Deployment = { ...before, status: input.status, availableAt, updatedAt: now };
    await appendAudit(trx, {
      actor,
      action: "deployment.status",
      subject: `app/${before.appName}/target/${before.targetName}/deployment/${before.id}`,
      teamName,
      before,
      after,
      at: now,
    });
    return after;
  });
}

export async function getDeployment(ctx: StoreContext, id: string): Promise<Deployment> {
  const row = await deploymentsQuery(ctx.db).where("deployments.id", "=", id).executeTakeFirst();
  if (row === undefined) throw notFound("deployment", id);
  return deploymentSchema.parse(row);
}

export async function listDeployments(
  ctx: StoreContext,
  filter: { appName: string; targetName?: string | undefined },
  page: PageRequest,
): Promise<Page<Deployment>> {
  const after = decodeCursor("deployments", page.cursor);
  let query = deploymentsQuery(ctx.db)
    .where("apps.name", "=", filter.appName)
    .orderBy("deployments.id", "desc")
    .limit(page.limit + 1);
  if (filter.targetName !== undefined) query = query.where("targets.name", "=", filter.targetName);
  if (after !== undefined) query = query.where("deployments.id", "<", after);
  const rows = (await query.execute()).map((r) => deploymentSchema.parse(r));
  if (rows.length === 0) await getApp(ctx, filter.appName);
  return toPage("deployments", rows, page.limit, (d) => d.id);
}

export async function deploymentEvents(
  ctx: StoreContext,
  deploymentId: string,
): Promise<readonly DeploymentEvent[]> {
  await getDeployment(ctx, deploymentId);
  const rows = await ctx.db
    .selectFrom("deploymentEvents")
    .select(["deploymentId", "status", "message", "at"])
    .where("deploymentId", "=", deploymentId)
    .orderBy("id")
    .execute();
  return rows.map((r) => deploymentEventSchema.parse(r));
}
