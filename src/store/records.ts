/**
 * The records the store hands out. Every row read back from either database is parsed with these
 * schemas (habit: zod at every boundary, including our own database), so a drifted column or a
 * hand-edited row fails loudly at the edge instead of deep inside a request.
 */
import { z } from "zod";

/** Lower-case DNS-label style names: they end up in namespaces, URLs and file names. */
export const nameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, {
    message: "must be 1-63 lower-case letters, digits or '-', starting and ending with a letter or digit",
  });

/** Timestamps are stored as fixed-width ISO-8601 UTC text so they sort the same on both databases. */
export const timestampSchema = z.iso.datetime();

export const Role = {
  Viewer: "viewer",
  Developer: "developer",
  Releaser: "releaser",
  Admin: "admin",
} as const;
export type Role = (typeof Role)[keyof typeof Role];
export const roleSchema = z.enum([Role.Viewer, Role.Developer, Role.Releaser, Role.Admin]);
/** Roles are ordered: each one may do everything the ones before it may. */
export const roleRank: Readonly<Record<Role, number>> = { viewer: 0, developer: 1, releaser: 2, admin: 3 };

export const teamSchema = z.object({ id: z.string(), name: nameSchema, createdAt: timestampSchema });
export type Team = z.infer<typeof teamSchema>;

export const userSchema = z.object({
  id: z.string(),
  /** Stable identity: `token:<name>` for bootstrap users, `<issuer>|<sub>` for OIDC users. */
  subject: z.string().min(1),
  displayName: z.string(),
  /** Platform administrators manage teams and targets; team roles cover everything else. */
  isAdmin: z.coerce.boolean(),
  createdAt: timestampSchema,
});
export type User = z.infer<typeof userSchema>;

export const membershipSchema = z.object({ teamName: nameSchema, userId: z.string(), role: roleSchema });
export type Membership = z.infer<typeof membershipSchema>;

/**
 * What a token may be used for: `api`, everything its user may do; `metrics`, only reading
 * `/metrics` (the token a Prometheus scraper holds, worthless anywhere else).
 */
export const TokenScope = { Api: "api", Metrics: "metrics" } as const;
export type TokenScope = (typeof TokenScope)[keyof typeof TokenScope];
export const tokenScopeSchema = z.enum([TokenScope.Api, TokenScope.Metrics]);

export const apiTokenSchema = z.object({
  id: z.string(),
  userId: z.string(),
  name: z.string(),
  scope: tokenScopeSchema,
  createdAt: timestampSchema,
  expiresAt: timestampSchema.nullable(),
  revokedAt: timestampSchema.nullable(),
  /** The token this one was minted with; null for one minted with a sign-in, or before migration 10. */
  mintedBy: z.string().nullable(),
});
export type ApiToken = z.infer<typeof apiTokenSchema>;

export const appSchema = z.object({
  id: z.string(),
  name: nameSchema,
  teamName: nameSchema,
  description: z.string(),
  /** Optimistic-concurrency counter: an update names the version it read. */
  version: z.number().int().positive(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
export type App = z.infer<typeof appSchema>;

export const TargetKind = { Channel: "channel", Preview: "preview" } as const;
export type TargetKind = (typeof TargetKind)[keyof typeof TargetKind];
export const targetSchema = z.object({
  id: z.string(),
  name: nameSchema,
  kind: z.enum([TargetKind.Channel, TargetKind.Preview]),
  createdAt: timestampSchema,
});
export type Target = z.infer<typeof targetSchema>;

export const commitShaSchema = z
  .string()
  .regex(/^[0-9a-f]{7,64}$/, { message: "must be a hex git commit id" });
export const digestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, { message: "must be sha256:<64 hex>" });
export const hashSchema = z.string().regex(/^[0-9a-f]{64}$/, { message: "must be a hex SHA-256" });

export const releaseSchema = z.object({
  id: z.string(),
  appName: nameSchema,
  commitSha: commitShaSchema,
  imageDigest: digestSchema,
  specHash: hashSchema,
  secretsHash: hashSchema,
  /** When the commit was written (its author date): lead time starts here. */
  commitTime: timestampSchema.nullable(),
  createdBy: z.string(),
  createdAt: timestampSchema,
  /**
   * Where the release was read from, and the commit's own record. Null on releases recorded
   * before the server read repositories itself (migration 7).
   */
  repository: z.string().nullable(),
  path: z.string().nullable(),
  commitAuthor: z.string().nullable(),
  commitMessage: z.string().nullable(),
  committedAt: timestampSchema.nullable(),
});
export type Release = z.infer<typeof releaseSchema>;

/** One file of a release's snapshot: its path relative to the app's directory, and its bytes. */
export interface SnapshotFile {
  readonly path: string;
  readonly content: Uint8Array;
}

/**
 * A deployment's life: pending (queued) → rendering → applying → progressing → available, or
 * failed / superseded (a newer one made it obsolete before it started, or replaced it once
 * available) / rolled-back (its rollout failed and the previous revision was put back, or a later
 * rollback replaced it). Failed, superseded and rolled-back are final.
 */
export const DeploymentStatus = {
  Pending: "pending",
  Rendering: "rendering",
  Applying: "applying",
  Progressing: "progressing",
  Available: "available",
  Failed: "failed",
  Superseded: "superseded",
  RolledBack: "rolled-back",
} as const;
export type DeploymentStatus = (typeof DeploymentStatus)[keyof typeof DeploymentStatus];
export const deploymentStatusSchema = z.enum([
  "pending",
  "rendering",
  "applying",
  "progressing",
  "available",
  "failed",
  "superseded",
  "rolled-back",
]);

export const deploymentSchema = z.object({
  id: z.string(),
  appName: nameSchema,
  targetName: nameSchema,
  releaseId: z.string(),
  /** 1, 2, 3… per (app, target): a gap-free history; two writers can never share a number. */
  sequence: z.number().int().positive(),
  status: deploymentStatusSchema,
  createdBy: z.string(),
  startedAt: timestampSchema,
  availableAt: timestampSchema.nullable(),
  updatedAt: timestampSchema,
});
export type Deployment = z.infer<typeof deploymentSchema>;

export const deploymentEventSchema = z.object({
  /**
   * Position in the store's one event numbering, given after commit (`event-queries.ts`); null
   * until then. Streams resume from it.
   */
  seq: z.number().int().positive().nullable(),
  deploymentId: z.string(),
  status: deploymentStatusSchema,
  message: z.string(),
  at: timestampSchema,
});
export type DeploymentEvent = z.infer<typeof deploymentEventSchema>;

/** A deployment event with what a stream needs to scope and show it (`GET /api/v1/events`). */
export const statusEventSchema = deploymentEventSchema.extend({
  seq: z.number().int().positive(),
  appName: nameSchema,
  targetName: nameSchema,
  teamName: nameSchema,
  releaseId: z.string(),
});
export type StatusEvent = z.infer<typeof statusEventSchema>;

/** The engine's hold on one deployment (migration 8, `job-queries.ts`). */
export const jobSchema = z.object({
  deploymentId: z.string(),
  state: z.enum(["queued", "running", "done"]),
  deadlineAt: timestampSchema.nullable(),
  leaseOwner: z.string().nullable(),
  leaseExpiresAt: timestampSchema.nullable(),
  /** Bumped by every claim; a write naming an older fence is refused. */
  fence: z.number().int().nonnegative(),
  attempts: z.number().int().nonnegative(),
  /** The fence of the claim that recorded it was about to write to the target; null: none did. */
  applyFence: z.number().int().positive().nullable(),
});
export type Job = z.infer<typeof jobSchema>;

/** A job this replica now holds: work on it only while the lease is renewed. */
export interface ClaimedJob {
  readonly job: Job;
  readonly deadlineAt: string;
  /** Another replica held it and stopped renewing its lease (killed, partitioned, frozen). */
  readonly takenOverFrom: string | null;
}

export const approvalSchema = z.object({
  id: z.string(),
  releaseId: z.string(),
  targetName: nameSchema,
  approvedBy: z.string(),
  createdAt: timestampSchema,
  /** A releaser's answer (migration 9): a rejection carries its reason and fails the gate. */
  decision: z.enum(["approved", "rejected"]).default("approved"),
  reason: z.string().nullable().default(null),
});
export type Approval = z.infer<typeof approvalSchema>;

export const auditEventSchema = z.object({
  id: z.string(),
  at: timestampSchema,
  actor: z.string(),
  action: z.string(),
  subject: z.string(),
  teamName: z.string().nullable(),
  beforeHash: hashSchema.nullable(),
  afterHash: hashSchema.nullable(),
});
export type AuditEvent = z.infer<typeof auditEventSchema>;

export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque; pass back as `cursor` for the next page. Null on the last page. */
  readonly nextCursor: string | null;
}

export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string | undefined;
}
