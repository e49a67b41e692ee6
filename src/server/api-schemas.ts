/**
 * Request and response schemas of the HTTP API. These exact definitions validate requests, shape
 * responses and become the OpenAPI document, so the published contract cannot drift from the code.
 * Request bodies are strict: an unknown field is an error that names it, not something ignored.
 */
import { z } from "zod";
import { appSpecSchema } from "../spec/app-schema.ts";
import {
  apiTokenSchema,
  approvalSchema,
  appSchema,
  auditEventSchema,
  commitShaSchema,
  deploymentEventSchema,
  deploymentSchema,
  deploymentStatusSchema,
  digestSchema,
  hashSchema,
  membershipSchema,
  nameSchema,
  releaseSchema,
  roleSchema,
  targetSchema,
  teamSchema,
  timestampSchema,
  tokenScopeSchema,
  userSchema,
} from "../store/records.ts";

export const maxPageLimit = 200;

export const pageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(maxPageLimit).default(50),
  cursor: z.string().min(1).max(512).optional(),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export const appParams = z.strictObject({ app: nameSchema });
export const teamParams = z.strictObject({ team: nameSchema });
const idSchema = z.string().regex(/^[a-z]{3,4}_[0-9a-f]{28}$/, { message: "is not a Slipway id" });
export const releaseParams = z.strictObject({ release: idSchema });
export const deploymentParams = z.strictObject({ deployment: idSchema });
export const tokenParams = z.strictObject({ token: idSchema });

/**
 * What `slipway.yaml` accepts as an app's name, taken from its schema: an app registered here must
 * be one a spec can name (the store's 63-character names fit teams and targets, not apps).
 */
export const appNameSchema = appSpecSchema.shape.name;

export const createAppBody = z.strictObject({
  name: appNameSchema,
  team: nameSchema,
  description: z.string().max(1000).default(""),
});
export const updateAppBody = z.strictObject({
  /** The `version` you read; a different stored version means someone else changed it. */
  version: z.number().int().positive(),
  description: z.string().max(1000),
});

export const createReleaseBody = z.strictObject({
  commit: commitShaSchema,
  imageDigest: digestSchema,
  specHash: hashSchema,
  secretsHash: hashSchema,
  commitTime: timestampSchema.optional(),
});
export const releaseCreatedSchema = z.object({ release: releaseSchema, created: z.boolean() });

export const createTargetBody = z.strictObject({ name: nameSchema, kind: z.enum(["channel", "preview"]) });

export const deploymentsQuery = pageQuerySchema.extend({ target: nameSchema.optional() });
export const createDeploymentBody = z.strictObject({ release: idSchema, target: nameSchema });
export const deploymentStatusBody = z.strictObject({
  status: deploymentStatusSchema,
  message: z.string().max(2000).default(""),
});
export const deploymentDetailSchema = deploymentSchema.extend({ events: z.array(deploymentEventSchema) });

export const approvalBody = z.strictObject({ target: nameSchema });

export const createTeamBody = z.strictObject({ name: nameSchema });
export const setMemberBody = z.strictObject({
  subject: z.string().min(1).max(300),
  role: roleSchema.nullable(),
});

export const createTokenBody = z.strictObject({
  name: z.string().min(1).max(100),
  /**
   * Days until the token stops working; tokens always expire, and never after the credential that
   * minted them (a token minted with an OIDC sign-in dies with that sign-in's session).
   */
  expiresInDays: z.number().int().min(1).max(366).default(90),
  /** `metrics`: a token that only reads /metrics, for a scraper (platform administrators). */
  scope: tokenScopeSchema.default("api"),
});
export const createdTokenSchema = z.object({
  token: apiTokenSchema,
  /** The secret, shown exactly once: only its SHA-256 is stored. */
  secret: z.string(),
});

export const whoamiSchema = z.object({ user: userSchema, memberships: z.array(membershipSchema) });
export const emptySchema = z.object({});

export {
  apiTokenSchema,
  approvalSchema,
  appSchema,
  auditEventSchema,
  deploymentSchema,
  releaseSchema,
  targetSchema,
  teamSchema,
};
