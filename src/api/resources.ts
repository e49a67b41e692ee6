/**
 * What the HTTP API answers with. The server parses every response with these schemas (unknown
 * fields are dropped, so a column the store adds is not published by accident) and the CLI's client
 * parses what it receives with the same ones, so a client and a server of different versions fail
 * with a clear message instead of printing half a table.
 */
import { z } from "zod";
import {
  commitShaSchema,
  deploymentStatusSchema,
  digestSchema,
  hashSchema,
  nameSchema,
  roleSchema,
  targetKindSchema,
  timestampSchema,
  tokenScopeSchema,
} from "./values.ts";

export const teamSchema = z.object({ id: z.string(), name: nameSchema, createdAt: timestampSchema });

export const userSchema = z.object({
  id: z.string(),
  /** Stable identity: `token:<name>` for bootstrap users, `<issuer>|<sub>` for OIDC users. */
  subject: z.string().min(1),
  displayName: z.string(),
  /** Platform administrators manage teams and targets; team roles cover everything else. */
  isAdmin: z.coerce.boolean(),
  createdAt: timestampSchema,
});

export const membershipSchema = z.object({ teamName: nameSchema, userId: z.string(), role: roleSchema });

export const apiTokenSchema = z.object({
  id: z.string(),
  userId: z.string(),
  name: z.string(),
  scope: tokenScopeSchema,
  createdAt: timestampSchema,
  expiresAt: timestampSchema.nullable(),
  revokedAt: timestampSchema.nullable(),
  /** The token this one was minted with (null: minted with a sign-in); revoked with it. */
  mintedBy: z.string().nullable(),
});

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
export type ApiApp = z.infer<typeof appSchema>;

export const targetSchema = z.object({
  id: z.string(),
  name: nameSchema,
  kind: targetKindSchema,
  createdAt: timestampSchema,
});

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
  /** The repository and directory the release was read from; null on releases recorded without git. */
  repository: z.string().nullable(),
  path: z.string().nullable(),
  /** The commit's author (`Name <email>`), committer date and message. */
  commitAuthor: z.string().nullable(),
  committedAt: timestampSchema.nullable(),
  commitMessage: z.string().nullable(),
});
export type ApiRelease = z.infer<typeof releaseSchema>;

export const deploymentSchema = z.object({
  id: z.string(),
  appName: nameSchema,
  targetName: nameSchema,
  releaseId: z.string(),
  /** 1, 2, 3… per (app, target): a gap-free history. */
  sequence: z.number().int().positive(),
  status: deploymentStatusSchema,
  createdBy: z.string(),
  startedAt: timestampSchema,
  availableAt: timestampSchema.nullable(),
  updatedAt: timestampSchema,
});
export type ApiDeployment = z.infer<typeof deploymentSchema>;

export const deploymentEventSchema = z.object({
  deploymentId: z.string(),
  status: deploymentStatusSchema,
  message: z.string(),
  at: timestampSchema,
});
export const deploymentDetailSchema = deploymentSchema.extend({ events: z.array(deploymentEventSchema) });

export const approvalSchema = z.object({
  id: z.string(),
  releaseId: z.string(),
  targetName: nameSchema,
  approvedBy: z.string(),
  createdAt: timestampSchema,
  /** A rejection carries its reason; it fails the channel's approvals gate. */
  decision: z.enum(["approved", "rejected"]),
  reason: z.string().nullable(),
});

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

export const releaseCreatedSchema = z.object({ release: releaseSchema, created: z.boolean() });
export const createdTokenSchema = z.object({
  token: apiTokenSchema,
  /** The secret, shown exactly once: only its SHA-256 is stored. */
  secret: z.string(),
});
export const whoamiSchema = z.object({ user: userSchema, memberships: z.array(membershipSchema) });
export const emptySchema = z.object({});

/** A page of a list; pass `nextCursor` back as `cursor` for the next one (null on the last page). */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** Every error the API answers with, whatever the status. */
export const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
