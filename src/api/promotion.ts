/** The HTTP contract of promotion, rollback, the channel matrix and the line stop. */
import { z } from "zod";
import { deploymentSchema, releaseSchema } from "./resources.ts";
import { deploymentStatusSchema, digestSchema, idSchema, nameSchema, timestampSchema } from "./values.ts";

export const promotionBody = z.strictObject({
  to: nameSchema,
  /** Optional: when named, it must be the release available in the channel before. */
  release: idSchema.optional(),
  dryRun: z.boolean().default(false),
});

export const rejectionBody = z.strictObject({
  target: nameSchema,
  reason: z.string().trim().min(1, "say why").max(500),
});

export const rollbackBody = z.strictObject({
  channel: nameSchema,
  /** A release that was available in the channel; default: the one before what runs there. */
  to: idSchema.optional(),
  reason: z.string().trim().max(500).optional(),
});

export const stopLineBody = z.strictObject({ reason: z.string().trim().min(1, "say why").max(500) });

export const gateResultSchema = z.object({
  gate: z.enum(["line", "freeze", "window", "health", "soak", "policy", "approvals"]),
  state: z.enum(["pass", "fail", "waiting"]),
  reason: z.string(),
  waitSeconds: z.number().nullable(),
});
export const gateReportSchema = z.object({
  state: z.enum(["pass", "fail", "waiting"]),
  gates: z.array(gateResultSchema),
});

const policyFactSchema = z.union([
  z.object({
    passed: z.boolean(),
    blocking: z.array(z.object({ ruleId: z.string(), object: z.string(), message: z.string() })).readonly(),
  }),
  z.object({ error: z.string() }),
]);

/** A commit the promotion brings: the release that brought it, and the commit's own record. */
const commitSchema = z.object({
  releaseId: z.string(),
  commitSha: z.string(),
  commitAuthor: z.string().nullable(),
  /** The first line of the commit's message. */
  commitMessage: z.string().nullable(),
  /** When it was written (its author date). */
  commitTime: timestampSchema.nullable(),
});

export const promotionResultSchema = z.object({
  dryRun: z.boolean(),
  app: nameSchema,
  from: nameSchema,
  to: nameSchema,
  release: releaseSchema,
  digest: digestSchema,
  /** The release the destination runs now, if any. */
  current: releaseSchema.nullable(),
  gates: gateReportSchema,
  /** The queued deployment; null for a dry run. */
  deployment: deploymentSchema.nullable(),
  /** A dry run's view of the change. */
  preview: z
    .object({
      /** Every commit the releases between the channel's and the promoted one bring, newest first. */
      commits: z.array(commitSchema),
      /** Commits past those recorded with their release (a release records at most 1,000). */
      commitsNotShown: z.number().int().nonnegative(),
      diff: z.string(),
      policy: policyFactSchema.nullable(),
    })
    .nullable(),
});
export type PromotionResult = z.infer<typeof promotionResultSchema>;

export const rollbackResultSchema = z.object({
  channel: nameSchema,
  deployment: deploymentSchema,
  release: releaseSchema,
  /** The deployment the rollback undoes, and the earlier one whose release it puts back. */
  undoes: z.string(),
  restores: z.string(),
});
export type RollbackResult = z.infer<typeof rollbackResultSchema>;

const deploymentBrief = z.object({
  id: z.string(),
  sequence: z.number(),
  status: deploymentStatusSchema,
  releaseId: z.string(),
  startedAt: timestampSchema,
  availableAt: timestampSchema.nullable(),
  /** promotion, auto-promotion, auto-deploy, rollback; null: a plain deployment. */
  cause: z.string().nullable(),
});

export const lineStopSchema = z.object({
  reason: z.string(),
  stoppedBy: z.string(),
  stoppedAt: timestampSchema,
});
export const lineStateSchema = z.object({ stopped: z.boolean(), stop: lineStopSchema.nullable() });

export const appStatusSchema = z.object({
  app: nameSchema,
  team: nameSchema,
  at: timestampSchema,
  line: lineStateSchema,
  channels: z.array(
    z.object({
      name: nameSchema,
      promote: z.enum(["manual", "auto"]),
      autoDeploy: z.boolean(),
      rollbackOnFailure: z.boolean(),
      /** What serves the channel: its release and the deployment that put it there. */
      release: z
        .object({ id: z.string(), digest: digestSchema, commitSha: z.string(), createdAt: timestampSchema })
        .nullable(),
      live: deploymentBrief.nullable(),
      /** The newest deployment when it is not the live one (under way, failed, rolled back). */
      latest: deploymentBrief.nullable(),
      /** Seconds since the live deployment became available. */
      ageSeconds: z.number().nullable(),
      /** The promotion into this channel from the one before: its release and gates, or why there is none. */
      next: z
        .object({
          from: nameSchema,
          releaseId: z.string().nullable(),
          upToDate: z.boolean(),
          gates: gateReportSchema.nullable(),
          note: z.string().nullable(),
        })
        .nullable(),
    }),
  ),
});
export type AppStatus = z.infer<typeof appStatusSchema>;
