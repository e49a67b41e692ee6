/**
 * First start: with no bootstrap administrator yet, create one and an API token for it, and hand
 * the secret back once for the composition root to print. Later starts create nothing.
 *
 * Replicas starting together on one PostgreSQL database may both get past the first check; the
 * token's fixed id makes exactly one of them create it (the other gets a conflict and prints
 * nothing), so exactly one token is ever shown.
 */
import { ErrorCode, isSlipwayError } from "../core/errors.ts";
import type { Store } from "../store/store.ts";
import { systemActor } from "../store/store.ts";
import { issueToken } from "./auth/api-tokens.ts";

export const bootstrapSubject = "token:admin";
export const bootstrapTokenId = `tok_${"0".repeat(28)}`;

export async function bootstrapAdmin(store: Store): Promise<string | undefined> {
  if (await store.findUserBySubject(bootstrapSubject)) return undefined;
  const admin = await store.ensureUser(systemActor, {
    subject: bootstrapSubject,
    displayName: "Bootstrap administrator",
    isAdmin: true,
  });
  const year = 365 * 24 * 60 * 60 * 1000;
  try {
    const { secret } = await issueToken(store, systemActor, {
      id: bootstrapTokenId,
      userId: admin.id,
      name: "bootstrap",
      expiresAt: new Date(Date.now() + year),
    });
    return secret;
  } catch (error) {
    if (isSlipwayError(error) && error.code === ErrorCode.Conflict) return undefined;
    throw error;
  }
}
