/**
 * API tokens: 32 random bytes, shown once, stored only as their SHA-256. The `slw_` prefix lets
 * secret scanners spot a leaked token and lets the server tell tokens from OIDC JWTs.
 */
import { randomBytes } from "node:crypto";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { sha256Hex } from "../../store/ids.ts";
import type { ApiToken, TokenScope, User } from "../../store/records.ts";
import type { Actor, Store } from "../../store/store.ts";

export const tokenPrefix = "slw_";

export function newTokenSecret(): string {
  return `${tokenPrefix}${randomBytes(32).toString("base64url")}`;
}

export function hashTokenSecret(secret: string): string {
  return sha256Hex(secret);
}

export async function issueToken(
  store: Store,
  actor: Actor,
  input: {
    userId: string;
    name: string;
    expiresAt: Date | null;
    id?: string;
    scope?: TokenScope;
    /** The token it is minted with: revoking that one ends this one too. */
    mintedBy?: string | undefined;
  },
): Promise<{ token: ApiToken; secret: string }> {
  const secret = newTokenSecret();
  const token = await store.createApiToken(actor, {
    ...(input.id === undefined ? {} : { id: input.id }),
    ...(input.mintedBy === undefined ? {} : { mintedBy: input.mintedBy }),
    ...(input.scope === undefined ? {} : { scope: input.scope }),
    userId: input.userId,
    name: input.name,
    secretHash: hashTokenSecret(secret),
    expiresAt: input.expiresAt === null ? null : input.expiresAt.toISOString(),
  });
  return { token, secret };
}

/** The user behind a live token; every way a token can be dead is a 401 that says which. */
export async function verifyToken(
  store: Store,
  secret: string,
  now: Date,
): Promise<{ user: User; token: ApiToken }> {
  const token = await store.findApiTokenByHash(hashTokenSecret(secret));
  if (token === undefined) {
    throw new SlipwayError(
      ErrorCode.Unauthenticated,
      "the API token is not valid: log in again or create a new one",
    );
  }
  if (token.revokedAt !== null) {
    throw new SlipwayError(ErrorCode.Unauthenticated, "the API token was revoked: create a new one");
  }
  if (token.mintedBy !== null) {
    const revoked = await store.revokedAncestor(token.id);
    if (revoked !== undefined) {
      throw new SlipwayError(
        ErrorCode.Unauthenticated,
        `the API token was minted with token ${revoked.id}, which was revoked: create a new one`,
      );
    }
  }
  if (token.expiresAt !== null && Date.parse(token.expiresAt) <= now.getTime()) {
    throw new SlipwayError(
      ErrorCode.Unauthenticated,
      `the API token expired at ${token.expiresAt}: create a new one`,
    );
  }
  return { user: await store.getUser(token.userId), token };
}
