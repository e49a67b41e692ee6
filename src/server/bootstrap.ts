/**
 * First start: with no platform administrator yet, create one and an API token for it, and hand
 * the secret back once for the composition root to print. Later starts create nothing.
 */
import type { Store } from "../store/store.ts";
import { systemActor } from "../store/store.ts";
import { issueToken } from "./auth/api-tokens.ts";

export const bootstrapSubject = "token:admin";

export async function bootstrapAdmin(store: Store): Promise<string | undefined> {
  if (await store.findUserBySubject(bootstrapSubject)) return undefined;
  const admin = await store.ensureUser(systemActor, {
    subject: bootstrapSubject,
    displayName: "Bootstrap administrator",
    isAdmin: true,
  });
  const year = 365 * 24 * 60 * 60 * 1000;
  const { secret } = await issueToken(store, systemActor, {
    userId: admin.id,
    name: "bootstrap",
    expiresAt: new Date(Date.now() + year),
  });
  return secret;
}
