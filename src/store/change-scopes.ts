/**
 * Tables whose reads are cached on a version of their own, so that a change elsewhere — the
 * deployments the engine moves many times a second — does not drop them:
 *
 * - `identity`: who a token belongs to and what it may do (the authenticator's principals);
 * - `catalog`: teams, apps and targets (app pages, the team check of every app route).
 *
 * Each moves with any change to its tables: by this store at once (`sql-store.ts` counts its own
 * writes), by another replica or by hand once PostgreSQL's notice arrives (migrations 12 and 13),
 * by another process on a SQLite file as soon as `data_version` moves (which cannot say which
 * tables, so it moves every scope).
 */
export const changeScopes = {
  identity: ["teams", "users", "memberships", "api_tokens"],
  catalog: ["teams", "apps", "targets"],
} as const;

export type ChangeScope = keyof typeof changeScopes;

/** The payload on the change channel for a change to a scope's tables in `schema` (PostgreSQL). */
export function scopeChangePayload(scope: ChangeScope, schema: string): string {
  return `${scope}:${schema}`;
}
