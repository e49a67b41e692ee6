/**
 * What the HTTP API accepts: path parameters, queries and bodies. Bodies are strict: an unknown
 * field is an error that names it, not something ignored.
 */
import { z } from "zod";
import {
  appNameSchema,
  deploymentStatusSchema,
  idSchema,
  nameSchema,
  roleSchema,
  targetKindSchema,
  tokenScopeSchema,
} from "./values.ts";

export const maxPageLimit = 200;

export const pageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(maxPageLimit).default(50),
  cursor: z.string().min(1).max(512).optional(),
});

export const appParams = z.strictObject({ app: nameSchema });
export const teamParams = z.strictObject({ team: nameSchema });
export const releaseParams = z.strictObject({ release: idSchema });
export const deploymentParams = z.strictObject({ deployment: idSchema });
export const tokenParams = z.strictObject({ token: idSchema });

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

/** A release is read by the server from the repository at the commit; the image is named by digest. */
export const createReleaseBody = z.strictObject({
  /** An https:// or ssh:// URL (a local path only where the server allows it). */
  repository: z.string().min(1).max(2048),
  /** The app's directory in the repository (holding slipway.yaml); "" for its root. */
  path: z.string().max(1024).default(""),
  commit: z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, {
    message: "must be a full commit id: 40 (or 64) lower-case hex digits, as `git rev-parse HEAD` prints",
  }),
  /** `<repository>@sha256:<digest>`; a tag alone is refused. */
  image: z.string().min(1).max(512),
});

export const createTargetBody = z.strictObject({ name: nameSchema, kind: targetKindSchema });

export const deploymentsQuery = pageQuerySchema.extend({ target: nameSchema.optional() });
export const createDeploymentBody = z.strictObject({ release: idSchema, target: nameSchema });
export const deploymentStatusBody = z.strictObject({
  status: deploymentStatusSchema,
  message: z.string().max(2000).default(""),
});

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
