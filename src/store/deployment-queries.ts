/** Deployments of a release to a target, serialized per (app, target), with their status history. */
import type { Kysely, Transaction } from "kysely";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { getApp, getTarget } from "./app-queries.ts";
import { appendAudit } from "./audit.ts";
import { notFound, type StoreContext } from "./context.ts";
import { appendEvent, withEvents } from "./event-queries.ts";
import { newId } from "./ids.ts";
import { decodeCursor, toPage } from "./paging.ts";
import { type NewDeploymentCause, recordCause } from "./promotion-queries.ts";
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

const maxAttempts = 20;

/** Not final: the deployment may still move (or is what runs). */
const unfinished: readonly DeploymentStatus[] = [
  DeploymentStatus.Pending,
  DeploymentStatus.Rendering,
  DeploymentStatus.Applying,
  DeploymentStatus.Progressing,
  DeploymentStatus.Available,
];

export interface StartInput {
  readonly releaseId: string;
  readonly targetName: string;
  /** Also queue a job for the engine (`job-queries.ts`), which then runs the deployment. */
  readonly job?: boolean;
  /** Why it was started (promotion, rollback…), recorded with it; may refuse it (`promotion-queries.ts`). */
  readonly cause?: NewDeploymentCause | undefined;
}

/**
 * Records a new pending deployment (and, with `job`, queues it for the engine). Older deployments
 * of the same app and target that have not started yet are obsolete now: superseded at once. One
 * that is running finishes first; the one that was available stays so until this one replaces it.
 */
export async function startDeployment(
  ctx: StoreContext,
  actor: Actor,
  input: StartInput,
): Promise<Deployment> {
  const release = await getRelease(ctx, input.releaseId);
  const app = await getApp(ctx, release.appName);
  const target = await getTarget(ctx, input.targetName);
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.db.transaction().execute((trx) =>
        withEvents(trx, async () => {
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
          if (input.cause !== undefined) {
            await recordCause(trx, { appId: app.id, targetId: target.id }, deployment, input.cause);
          }
          if (input.job === true) {
            await trx
              .insertInto("deploymentJobs")
              .values({
                deploymentId: deployment.id,
                appId: app.id,
                targetId: target.id,
                state: "queued",
                deadlineAt: null,
                leaseOwner: null,
                leaseExpiresAt: null,
                fence: 0,
                attempts: 0,
                applyFence: null,
                createdAt: now,
                updatedAt: now,
              })
              .execute();
          }
          appendEvent(trx, {
            deploymentId: deployment.id,
            status: deployment.status,
            message: input.job === true ? "queued" : "",
            at: now,
          });
          await supersedeQueued(trx, app.id, target.id, deployment, now);
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
        }),
      );
    } catch (error) {
      if (!ctx.isUniqueViolation(error) || attempt >= maxAttempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }
}

/**
 * Older pending deployments of (app, target) that no engine has claimed: superseded by `newer`.
 * A claimed job's deployment is left alone even while still pending (it is about to run); the job's
 * state is changed first and guarded, so a claim racing this statement wins or loses as a whole.
 */
async function supersedeQueued(
  trx: Transaction<Tables>,
  appId: string,
  targetId: string,
  newer: Deployment,
  now: string,
): Promise<{ id: string }[]> {
  const candidates = await trx
    .selectFrom("deployments")
    .leftJoin("deploymentJobs", "deploymentJobs.deploymentId", "deployments.id")
    .select(["deployments.id", "deploymentJobs.state as jobState"])
    .where("deployments.appId", "=", appId)
    .where("deployments.targetId", "=", targetId)
    .where("deployments.status", "=", DeploymentStatus.Pending)
    .where("deployments.id", "!=", newer.id)
    .execute();
  const done: { id: string }[] = [];
  for (const candidate of candidates) {
    if (candidate.jobState !== null) {
      const claimed = await trx
        .updateTable("deploymentJobs")
        .set({ state: "done", updatedAt: now })
        .where("deploymentId", "=", candidate.id)
        .where("state", "=", "queued")
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) continue;
    }
    const result = await trx
      .updateTable("deployments")
      .set({ status: DeploymentStatus.Superseded, updatedAt: now })
      .where("id", "=", candidate.id)
      .where("status", "=", DeploymentStatus.Pending)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) continue;
    appendEvent(trx, {
      deploymentId: candidate.id,
      status: DeploymentStatus.Superseded,
      message: `superseded by ${newer.id} (#${newer.sequence}) before it started`,
      at: now,
    });
    done.push({ id: candidate.id });
  }
  return done;
}

/**
 * Which status may follow which. Failed, superseded and rolled-back are final. Pending may still
 * jump to progressing or available: deployments run outside the engine (a CLI's own deploy
 * recorded here) report only those.
 */
const transitions: Readonly<Record<DeploymentStatus, readonly DeploymentStatus[]>> = {
  pending: ["rendering", "progressing", "available", "failed", "superseded"],
  rendering: ["applying", "failed"],
  applying: ["progressing", "available", "failed", "rolled-back"],
  progressing: ["progressing", "available", "failed", "rolled-back"],
  available: ["failed", "superseded", "rolled-back"],
  failed: [],
  superseded: [],
  "rolled-back": [],
};

export const finalStatuses: readonly DeploymentStatus[] = ["failed", "superseded", "rolled-back"];

/** Refuses a change the engine owns: a deployment with an unfinished job moves only by its claim. */
export async function recordDeploymentStatus(
  ctx: StoreContext,
  actor: Actor,
  input: { deploymentId: string; status: DeploymentStatus; message: string },
): Promise<Deployment> {
  const current = await getDeployment(ctx, input.deploymentId);
  const { teamName } = await getApp(ctx, current.appName);
  return ctx.db.transaction().execute((trx) =>
    withEvents(trx, async () => {
      const job = await trx
        .selectFrom("deploymentJobs")
        .select("state")
        .where("deploymentId", "=", input.deploymentId)
        .executeTakeFirst();
      if (job !== undefined && job.state !== "done") {
        throw new SlipwayError(
          ErrorCode.Conflict,
          `deployment ${input.deploymentId} is being run by the server's engine, which records its status itself: follow it with \`slipway deployments watch ${input.deploymentId}\``,
          { details: { deployment: input.deploymentId } },
        );
      }
      return changeStatus(trx, ctx, { actor, teamName, ...input });
    }),
  );
}

/**
 * Moves one deployment inside the caller's transaction (inside `withEvents`):
 * checks the transition, writes the row under a guard on the status it read, appends the event
 * and the audit row. A deployment that becomes available supersedes the older ones of its app and
 * target that no job is running (the one it replaces on the target).
 */
export async function changeStatus(
  trx: Transaction<Tables>,
  ctx: StoreContext,
  input: {
    actor: Actor;
    teamName: string;
    deploymentId: string;
    status: DeploymentStatus;
    message: string;
  },
  /** The deployment as the caller just read it in `trx`, when it did: not read twice. */
  read?: Deployment,
): Promise<Deployment> {
  const before = read ?? (await readDeployment(trx, input.deploymentId));
  if (!transitions[before.status].includes(input.status)) {
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
  appendEvent(trx, { deploymentId: before.id, status: input.status, message: input.message, at: now });
  const after: Deployment = { ...before, status: input.status, availableAt, updatedAt: now };
  await appendAudit(trx, {
    actor: input.actor,
    action: "deployment.status",
    subject: `app/${before.appName}/target/${before.targetName}/deployment/${before.id}`,
    teamName: input.teamName,
    before,
    after,
    at: now,
  });
  if (input.status === DeploymentStatus.Available) await supersedeReplaced(trx, after, now);
  return after;
}

async function supersedeReplaced(trx: Transaction<Tables>, newer: Deployment, now: string): Promise<void> {
  const older = await trx
    .selectFrom("deployments")
    .innerJoin("apps", "apps.id", "deployments.appId")
    .innerJoin("targets", "targets.id", "deployments.targetId")
    .leftJoin("deploymentJobs", "deploymentJobs.deploymentId", "deployments.id")
    .select(["deployments.id", "deployments.status"])
    .where("apps.name", "=", newer.appName)
    .where("targets.name", "=", newer.targetName)
    .where("deployments.sequence", "<", newer.sequence)
    .where(
      "deployments.status",
      "in",
      unfinished.filter((s) => s !== DeploymentStatus.Pending),
    )
    .where((eb) => eb.or([eb("deploymentJobs.state", "is", null), eb("deploymentJobs.state", "=", "done")]))
    .execute();
  for (const row of older) {
    const result = await trx
      .updateTable("deployments")
      .set({ status: DeploymentStatus.Superseded, updatedAt: now })
      .where("id", "=", row.id)
      .where("status", "=", row.status)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) continue;
    appendEvent(trx, {
      deploymentId: row.id,
      status: DeploymentStatus.Superseded,
      message: `replaced by ${newer.id} (#${newer.sequence})`,
      at: now,
    });
  }
}

export function getDeployment(ctx: StoreContext, id: string): Promise<Deployment> {
  return readDeployment(ctx.db, id);
}

/** On the handle given: a transaction's, inside one. */
export async function readDeployment(db: Kysely<Tables>, id: string): Promise<Deployment> {
  const row = await deploymentsQuery(db).where("deployments.id", "=", id).executeTakeFirst();
  if (row === undefined) throw notFound("deployment", id);
  return deploymentSchema.parse(row);
}

/** A deployment and its app's team, in one query (the engine's status writes need both). */
export async function readDeploymentAndTeam(
  db: Kysely<Tables>,
  id: string,
): Promise<{ deployment: Deployment; teamName: string }> {
  const row = await deploymentsQuery(db)
    .innerJoin("teams", "teams.id", "apps.teamId")
    .select("teams.name as teamName")
    .where("deployments.id", "=", id)
    .executeTakeFirst();
  if (row === undefined) throw notFound("deployment", id);
  const { teamName, ...deployment } = row;
  return { deployment: deploymentSchema.parse(deployment), teamName };
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
    .select(["seq", "deploymentId", "status", "message", "at"])
    .where("deploymentId", "=", deploymentId)
    .orderBy("id")
    .execute();
  return rows.map((r) => deploymentEventSchema.parse(r));
}
