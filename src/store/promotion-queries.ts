/**
 * What promotion and rollback keep in the store (migration 9, `promotion-migration.ts`): why a
 * deployment was started, rejections of a release for a channel, and the platform-wide line stop.
 * Every change is audited in its own transaction, like the rest of the store.
 */
import type { Transaction } from "kysely";
import { z } from "zod";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { getApp, getTarget } from "./app-queries.ts";
import { appendAudit } from "./audit.ts";
import { type StoreContext, uniquely } from "./context.ts";
import { newId } from "./ids.ts";
import { type Approval, approvalSchema, type Deployment, nameSchema, timestampSchema } from "./records.ts";
import { getRelease } from "./release-queries.ts";
import type { Actor } from "./store.ts";
import type { Tables } from "./tables.ts";

export const DeploymentCauseKind = {
  /** `slipway promote`: the release available in the channel before. */
  Promotion: "promotion",
  /** The promoter, for a channel with `promote: auto`. */
  AutoPromotion: "auto-promotion",
  /** A new release, for a channel with `autoDeploy`. */
  AutoDeploy: "auto-deploy",
  /** `slipway rollback`. (A failed rollout a cluster undid is its own deployment, `rolled-back`.) */
  Rollback: "rollback",
} as const;
export type DeploymentCauseKind = (typeof DeploymentCauseKind)[keyof typeof DeploymentCauseKind];

export const deploymentCauseSchema = z.object({
  deploymentId: z.string(),
  kind: z.enum(["promotion", "auto-promotion", "auto-deploy", "rollback"]),
  /** A promotion: the channel the release was available in. */
  fromTarget: nameSchema.nullable(),
  /** A rollback: the deployment it undoes. */
  rollbackOf: z.string().nullable(),
  reason: z.string().nullable(),
});
export type DeploymentCause = z.infer<typeof deploymentCauseSchema>;

export interface NewDeploymentCause {
  readonly kind: DeploymentCauseKind;
  readonly fromTarget?: string | undefined;
  readonly rollbackOf?: string | undefined;
  readonly reason?: string | undefined;
  /**
   * Refuse (conflict, naming it) when a deployment to the same app and target is still under way,
   * and when the target's newest deployment already is this release: one promotion at a time, and
   * two replicas' promoters never promote the same release twice.
   */
  readonly exclusive?: boolean;
}

const underWay = ["pending", "rendering", "applying", "progressing"];

/**
 * Inside `startDeployment`'s transaction, right after the new deployment's row (the event sequence
 * lock is held, so no other writer interleaves): checks exclusivity and records the cause. A throw
 * rolls the deployment back with it.
 */
export async function recordCause(
  trx: Transaction<Tables>,
  ids: { appId: string; targetId: string },
  deployment: Deployment,
  cause: NewDeploymentCause,
): Promise<void> {
  if (cause.exclusive === true) {
    const others = await trx
      .selectFrom("deployments")
      .select(["id", "status", "releaseId", "sequence"])
      .where("appId", "=", ids.appId)
      .where("targetId", "=", ids.targetId)
      .where("id", "!=", deployment.id)
      .orderBy("sequence", "desc")
      .limit(20)
      .execute();
    const running = others.find((d) => underWay.includes(d.status));
    if (running !== undefined) {
      throw new SlipwayError(
        ErrorCode.Conflict,
        `a deployment of ${deployment.appName} to ${deployment.targetName} is already under way: ${running.id} (#${running.sequence}, ${running.status}); follow it with \`slipway deployments watch ${running.id}\` and promote again once it ends`,
        { details: { deployment: running.id, status: running.status, target: deployment.targetName } },
      );
    }
    const newest = others[0];
    if (newest !== undefined && newest.releaseId === deployment.releaseId && newest.status === "available") {
      throw new SlipwayError(
        ErrorCode.Conflict,
        `${deployment.targetName} already runs release ${deployment.releaseId} (${newest.id}): nothing to promote`,
        { details: { deployment: newest.id, release: deployment.releaseId, target: deployment.targetName } },
      );
    }
  }
  await trx
    .insertInto("deploymentCauses")
    .values({
      deploymentId: deployment.id,
      kind: cause.kind,
      fromTarget: cause.fromTarget ?? null,
      rollbackOf: cause.rollbackOf ?? null,
      reason: cause.reason ?? null,
    })
    .execute();
}

/** Why each of an app's deployments was started, where the store knows (no row: a plain deploy). */
export async function listDeploymentCauses(
  ctx: StoreContext,
  appName: string,
): Promise<readonly DeploymentCause[]> {
  const rows = await ctx.db
    .selectFrom("deploymentCauses")
    .innerJoin("deployments", "deployments.id", "deploymentCauses.deploymentId")
    .innerJoin("apps", "apps.id", "deployments.appId")
    .select([
      "deploymentCauses.deploymentId",
      "deploymentCauses.kind",
      "deploymentCauses.fromTarget",
      "deploymentCauses.rollbackOf",
      "deploymentCauses.reason",
    ])
    .where("apps.name", "=", appName)
    .orderBy("deploymentCauses.deploymentId")
    .execute();
  return rows.map((r) => deploymentCauseSchema.parse(r));
}

/**
 * A releaser's "no" to a release for a channel, with the reason: the channel's approvals gate
 * fails until the release is superseded. One answer per person, release and channel (the same
 * unique key as approvals), so nobody approves what they rejected or the other way round.
 */
export async function rejectRelease(
  ctx: StoreContext,
  actor: Actor,
  input: { releaseId: string; targetName: string; reason: string },
): Promise<Approval> {
  const release = await getRelease(ctx, input.releaseId);
  const app = await getApp(ctx, release.appName);
  const target = await getTarget(ctx, input.targetName);
  const rejection: Approval = approvalSchema.parse({
    id: newId("apr"),
    releaseId: release.id,
    targetName: target.name,
    approvedBy: actor.subject,
    createdAt: ctx.now(),
    decision: "rejected",
    reason: input.reason,
  });
  await uniquely(ctx, "answer", `${release.id} for ${target.name} by ${actor.subject}`, () =>
    ctx.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("approvals")
        .values({
          id: rejection.id,
          releaseId: release.id,
          targetId: target.id,
          approvedBy: rejection.approvedBy,
          createdAt: rejection.createdAt,
          decision: "rejected",
          reason: input.reason,
        })
        .execute();
      await appendAudit(trx, {
        actor,
        action: "approval.reject",
        subject: `app/${app.name}/release/${release.id}/target/${target.name}`,
        teamName: app.teamName,
        before: null,
        after: rejection,
        at: rejection.createdAt,
      });
    }),
  );
  return rejection;
}

export const lineStopSchema = z.object({
  id: z.string(),
  reason: z.string(),
  stoppedBy: z.string(),
  stoppedAt: timestampSchema,
  resumedBy: z.string().nullable(),
  resumedAt: timestampSchema.nullable(),
});
export type LineStopRecord = z.infer<typeof lineStopSchema>;

/** The line stop in force, if any: every promotion waits while it lasts. */
export async function getLineStop(ctx: StoreContext): Promise<LineStopRecord | null> {
  const row = await ctx.db
    .selectFrom("lineStops")
    .selectAll()
    .where("resumedAt", "is", null)
    .orderBy("id", "desc")
    .executeTakeFirst();
  return row === undefined ? null : lineStopSchema.parse(row);
}

/**
 * Stops the line with a reason (a second stop while stopped replaces the reason, keeping the
 * first's time and author in the audit), or resumes it (`null`). Returns the stop now in force.
 */
export async function setLineStop(
  ctx: StoreContext,
  actor: Actor,
  input: { reason: string } | null,
): Promise<LineStopRecord | null> {
  return ctx.db.transaction().execute(async (trx) => {
    const now = ctx.now();
    const current = await trx
      .selectFrom("lineStops")
      .selectAll()
      .where("resumedAt", "is", null)
      .orderBy("id", "desc")
      .executeTakeFirst();
    const before = current === undefined ? null : lineStopSchema.parse(current);
    if (before !== null) {
      // Every stop in force, not only the one read: two administrators stopping at once each saw
      // none (read committed) and each added one, and a lift must end both.
      await trx
        .updateTable("lineStops")
        .set({ resumedBy: actor.subject, resumedAt: now })
        .where("resumedAt", "is", null)
        .execute();
    }
    let after: LineStopRecord | null = null;
    if (input !== null) {
      after = lineStopSchema.parse({
        id: newId("stop"),
        reason: input.reason,
        stoppedBy: actor.subject,
        stoppedAt: now,
        resumedBy: null,
        resumedAt: null,
      });
      await trx.insertInto("lineStops").values(after).execute();
    }
    if (before === null && after === null) return null;
    await appendAudit(trx, {
      actor,
      action: after === null ? "line.resume" : "line.stop",
      subject: "platform/line",
      teamName: null,
      before,
      after,
      at: now,
    });
    return after;
  });
}
