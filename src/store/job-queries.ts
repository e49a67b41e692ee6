/**
 * The engine's jobs: claimed with an expiring lease, renewed while worked on, taken over when a
 * replica stops renewing. Every claim bumps the job's fence; every write the engine makes names
 * the fence it holds and is refused when another claim has bumped it since, so a replica that
 * froze past its lease and wakes up cannot record anything over its successor's work (ADR 0010).
 *
 * PostgreSQL: candidates are locked `for update skip locked`, so replicas claiming at once take
 * different jobs instead of queueing on the same rows. SQLite: transactions start with
 * `begin immediate` (one writer), which serializes claims by itself.
 */
import type { Transaction } from "kysely";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { StoreContext } from "./context.ts";
import { changeStatus, finalStatuses, readDeploymentAndTeam } from "./deployment-queries.ts";
import { appendEvent, withEvents } from "./event-queries.ts";
import { type ClaimedJob, type Deployment, type DeploymentStatus, type Job, jobSchema } from "./records.ts";
import type { Actor } from "./store.ts";
import type { Tables } from "./tables.ts";

export interface ClaimRequest {
  /** Who claims (a replica's id): shown when another replica takes a job over. */
  readonly owner: string;
  readonly leaseMs: number;
  /** A job's overall deadline, counted from its first claim. */
  readonly timeoutMs: number;
  readonly limit: number;
}

export interface JobWrite {
  readonly deploymentId: string;
  readonly owner: string;
  readonly fence: number;
}

/** The engine as an actor in audit rows. */
export const engineActor: Actor = { userId: "system", subject: "engine" };

const jobColumns = [
  "deploymentId",
  "state",
  "deadlineAt",
  "leaseOwner",
  "leaseExpiresAt",
  "fence",
  "attempts",
  "applyFence",
] as const;

function later(now: string, ms: number): string {
  return new Date(Date.parse(now) + ms).toISOString();
}

/**
 * Claims up to `limit` jobs: queued ones whose app and target have no job running (one in flight
 * per app × target; the oldest first), and running ones whose lease has expired (taken over).
 * A taken-over job already past its deadline is failed here instead of run again.
 */
export async function claimJobs(ctx: StoreContext, request: ClaimRequest): Promise<readonly ClaimedJob[]> {
  return ctx.db.transaction().execute((trx) =>
    withEvents(trx, async () => {
      const now = ctx.now();
      let query = trx
        .selectFrom("deploymentJobs as j")
        .select(jobColumns.map((c) => `j.${c}` as const))
        .where((eb) =>
          eb.or([
            eb.and([
              eb("j.state", "=", "queued"),
              eb.not(
                eb.exists(
                  eb
                    .selectFrom("deploymentJobs as r")
                    .select("r.deploymentId")
                    .whereRef("r.appId", "=", "j.appId")
                    .whereRef("r.targetId", "=", "j.targetId")
                    .where("r.state", "=", "running"),
                ),
              ),
            ]),
            eb.and([eb("j.state", "=", "running"), eb("j.leaseExpiresAt", "<", now)]),
          ]),
        )
        .orderBy("j.deploymentId")
        .limit(request.limit);
      if (ctx.dialect === "postgres") query = query.forUpdate().skipLocked();
      const candidates = (await query.execute()).map((row) => jobSchema.parse(row));
      const claimed: ClaimedJob[] = [];
      for (const job of candidates) {
        const deadlineAt = job.deadlineAt ?? later(now, request.timeoutMs);
        const takenOverFrom = job.state === "running" ? job.leaseOwner : null;
        if (job.state === "running" && deadlineAt <= now) {
          await finishExpired(trx, ctx, job, now);
          continue;
        }
        const fence = job.fence + 1;
        const result = await trx
          .updateTable("deploymentJobs")
          .set({
            state: "running",
            deadlineAt,
            leaseOwner: request.owner,
            leaseExpiresAt: later(now, request.leaseMs),
            fence,
            attempts: job.attempts + 1,
            updatedAt: now,
          })
          .where("deploymentId", "=", job.deploymentId)
          .where("fence", "=", job.fence)
          .where("state", "=", job.state)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1) continue;
        if (takenOverFrom !== null) {
          const status = await currentStatus(trx, job.deploymentId);
          appendEvent(trx, {
            deploymentId: job.deploymentId,
            status,
            message: `taken over by ${request.owner}: the lease of ${takenOverFrom} ended at ${job.leaseExpiresAt} (stopped or gave it back)`,
            at: now,
          });
        }
        claimed.push({
          job: {
            ...job,
            state: "running",
            deadlineAt,
            leaseOwner: request.owner,
            leaseExpiresAt: later(now, request.leaseMs),
            fence,
            attempts: job.attempts + 1,
          },
          deadlineAt,
          takenOverFrom,
        });
      }
      return claimed;
    }),
  );
}

async function currentStatus(trx: Transaction<Tables>, deploymentId: string): Promise<DeploymentStatus> {
  const row = await trx
    .selectFrom("deployments")
    .select("status")
    .where("id", "=", deploymentId)
    .executeTakeFirstOrThrow();
  return row.status as DeploymentStatus;
}

async function teamOf(trx: Transaction<Tables>, deploymentId: string): Promise<string> {
  const row = await trx
    .selectFrom("deployments")
    .innerJoin("apps", "apps.id", "deployments.appId")
    .innerJoin("teams", "teams.id", "apps.teamId")
    .select("teams.name")
    .where("deployments.id", "=", deploymentId)
    .executeTakeFirstOrThrow();
  return row.name;
}

async function finishExpired(trx: Transaction<Tables>, ctx: StoreContext, job: Job, now: string) {
  const status = await currentStatus(trx, job.deploymentId);
  await trx
    .updateTable("deploymentJobs")
    .set({ state: "done", leaseOwner: null, leaseExpiresAt: null, fence: job.fence + 1, updatedAt: now })
    .where("deploymentId", "=", job.deploymentId)
    .where("fence", "=", job.fence)
    .execute();
  if ((finalStatuses as readonly string[]).includes(status) || status === "available") return;
  const applied =
    job.applyFence === null ? "nothing was written to the target" : "its apply may have reached the target";
  await changeStatus(trx, ctx, {
    actor: engineActor,
    teamName: await teamOf(trx, job.deploymentId),
    deploymentId: job.deploymentId,
    status: "failed",
    message: `deadline ${job.deadlineAt} passed while ${status} and ${job.leaseOwner ?? "its replica"} stopped answering; ${applied}, and it is not applied again: deploy again to converge`,
  });
}

/** False when this claim no longer holds the job (taken over, finished): stop working on it. */
export async function renewJobLease(
  ctx: StoreContext,
  input: JobWrite & { readonly leaseMs: number },
): Promise<boolean> {
  const now = ctx.now();
  const result = await ctx.db
    .updateTable("deploymentJobs")
    .set({ leaseExpiresAt: later(now, input.leaseMs), updatedAt: now })
    .where("deploymentId", "=", input.deploymentId)
    .where("fence", "=", input.fence)
    .where("leaseOwner", "=", input.owner)
    .where("state", "=", "running")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Records the engine's progress on a job it holds. `applying` also records this claim's fence as
 * the one about to write to the target and renews the lease, so a successor knows an apply may
 * have happened. A final status or `available` finishes the job. Refused (conflict, details
 * `lost: true`) when the claim no longer holds the job.
 */
export async function recordJobStatus(
  ctx: StoreContext,
  input: JobWrite & { readonly status: DeploymentStatus; readonly message: string; readonly leaseMs: number },
): Promise<Deployment> {
  return ctx.db.transaction().execute((trx) =>
    withEvents(trx, async () => {
      const now = ctx.now();
      const job = await trx
        .selectFrom("deploymentJobs")
        .select(jobColumns)
        .where("deploymentId", "=", input.deploymentId)
        .executeTakeFirst();
      if (
        job === undefined ||
        job.fence !== input.fence ||
        job.leaseOwner !== input.owner ||
        job.state !== "running" ||
        (job.leaseExpiresAt !== null && job.leaseExpiresAt <= now)
      ) {
        throw lostClaim(input);
      }
      const finishes =
        input.status === "available" || (finalStatuses as readonly string[]).includes(input.status);
      const held = await trx
        .updateTable("deploymentJobs")
        .set({
          ...(finishes
            ? { state: "done", leaseOwner: null, leaseExpiresAt: null }
            : { leaseExpiresAt: later(now, input.leaseMs) }),
          ...(input.status === "applying" ? { applyFence: input.fence } : {}),
          updatedAt: now,
        })
        .where("deploymentId", "=", input.deploymentId)
        .where("fence", "=", input.fence)
        .executeTakeFirst();
      // PostgreSQL: the read above locks nothing, so another replica's takeover can commit between
      // it and this write; the fence in this write's WHERE is what tells (SQLite's one writer cannot
      // interleave). Nothing past this point may be written under a lost claim.
      if (Number(held.numUpdatedRows) !== 1) throw lostClaim(input);
      // One read for the row, its status and its team: each query here is a round trip while the
      // transaction holds a pooled connection, several per status change, many changes a second.
      const { deployment, teamName } = await readDeploymentAndTeam(trx, input.deploymentId);
      // A successor resuming at the status it found (an apply recorded by its predecessor, say)
      // notes it without moving the row; every other call is a transition the table allows.
      if (deployment.status === input.status && deployment.status !== "progressing") {
        appendEvent(trx, {
          deploymentId: input.deploymentId,
          status: deployment.status,
          message: input.message,
          at: now,
        });
        return deployment;
      }
      return changeStatus(
        trx,
        ctx,
        {
          actor: engineActor,
          teamName,
          deploymentId: input.deploymentId,
          status: input.status,
          message: input.message,
        },
        deployment,
      );
    }),
  );
}

function lostClaim(input: JobWrite): SlipwayError {
  return new SlipwayError(
    ErrorCode.Conflict,
    `deployment ${input.deploymentId}: this replica's claim (fence ${input.fence}) no longer holds the job`,
    { details: { deployment: input.deploymentId, lost: true } },
  );
}

/** Gives a job back at once (a replica shutting down cleanly): another claims it without waiting. */
export async function releaseJob(ctx: StoreContext, input: JobWrite): Promise<void> {
  const now = ctx.now();
  await ctx.db
    .updateTable("deploymentJobs")
    .set({ leaseExpiresAt: now, updatedAt: now })
    .where("deploymentId", "=", input.deploymentId)
    .where("fence", "=", input.fence)
    .where("leaseOwner", "=", input.owner)
    .where("state", "=", "running")
    .execute();
}

export async function getJob(ctx: StoreContext, deploymentId: string): Promise<Job | undefined> {
  const row = await ctx.db
    .selectFrom("deploymentJobs")
    .select(jobColumns)
    .where("deploymentId", "=", deploymentId)
    .executeTakeFirst();
  return row === undefined ? undefined : jobSchema.parse(row);
}
