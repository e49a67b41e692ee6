/**
 * Turns the Authorization header into a `Principal`: `Bearer slw_…` is an API token, any other
 * bearer is an OIDC JWT (when OIDC is configured). OIDC users are created on first sign-in; their
 * team roles are granted like anyone's, through the members route.
 *
 * Token principals are cached: without it every read costs three extra lookups (token, user,
 * memberships). The cache is dropped whenever the store's identity version moves (a change to
 * teams, users, memberships or tokens), so a revocation or role change applies on the next request
 * here and, on other replicas, as soon as they see the commit (SQLite's data_version, PostgreSQL's
 * change notice: milliseconds). Other changes — deployments moving many times a second — leave it
 * be. While the store cannot tell (its change feed down or reconnecting, its notices not arriving)
 * nothing is served from the cache: a revocation on another replica would go unseen, and the feed
 * has said "read cache off". `cacheTtlMs` bounds an entry's life besides.
 */
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import type { Store } from "../../store/store.ts";
import { systemActor } from "../../store/store.ts";
import { hashTokenSecret, tokenPrefix, verifyToken } from "./api-tokens.ts";
import type { OidcVerifier } from "./oidc.ts";
import type { Principal } from "./principal.ts";

export interface Authenticator {
  authenticate(authorization: string | undefined): Promise<Principal>;
  /** Forget cached principals: called after every successful change. */
  invalidate(): void;
}

const maxCached = 10_000;

export function authenticator(deps: {
  store: Store;
  oidc?: OidcVerifier | undefined;
  now?: () => Date;
  cacheTtlMs?: number;
}): Authenticator {
  const now = deps.now ?? (() => new Date());
  const ttl = deps.cacheTtlMs ?? 5_000;
  /** `version`: the store's identity version the principal was read at. */
  const cache = new Map<
    string,
    { principal: Principal; until: number; expiresAt: number; version: string }
  >();
  let cachedVersion: string | undefined;

  async function fromToken(secret: string): Promise<Principal> {
    const key = hashTokenSecret(secret);
    const at = now().getTime();
    const version = deps.store.identityVersion();
    if (version !== cachedVersion) {
      // Moved, or unknown: what was read before may have been revoked since.
      cache.clear();
      cachedVersion = version;
    }
    const hit = version === undefined ? undefined : cache.get(key);
    // The token's own expiry is checked on every call, cached or not.
    if (hit && hit.until > at && hit.expiresAt > at && hit.version === version) {
      return hit.principal;
    }
    const { user, token } = await verifyToken(deps.store, secret, now());
    const principal: Principal = {
      user,
      memberships: await deps.store.listMemberships(user.id),
      via: "token",
      scope: token.scope,
      expiresAt: token.expiresAt === null ? null : new Date(token.expiresAt),
      tokenId: token.id,
    };
    // A revocation or role change that committed while these lookups ran has moved the version:
    // what they read may predate it, so it is used for this request only, never cached.
    if (version === undefined || deps.store.identityVersion() !== version) return principal;
    if (cache.size >= maxCached) cache.clear();
    cache.set(key, {
      principal,
      until: at + ttl,
      expiresAt: token.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(token.expiresAt),
      version,
    });
    return principal;
  }

  return {
    invalidate: () => cache.clear(),
    authenticate: async (authorization) => {
      if (authorization === undefined || authorization === "") {
        throw new SlipwayError(
          ErrorCode.Unauthenticated,
          "no credentials: send Authorization: Bearer <token> (run `slipway login`)",
        );
      }
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!match?.[1]) {
        throw new SlipwayError(
          ErrorCode.Unauthenticated,
          "the Authorization header must be `Bearer <token>`",
        );
      }
      const credential = match[1];
      if (credential.startsWith(tokenPrefix)) return fromToken(credential);
      if (deps.oidc === undefined) {
        throw new SlipwayError(ErrorCode.Unauthenticated, "the bearer credential is not a Slipway API token");
      }
      const identity = await deps.oidc(credential);
      const user =
        (await deps.store.findUserBySubject(identity.subject)) ??
        (await deps.store.ensureUser(systemActor, {
          subject: identity.subject,
          displayName: identity.displayName,
        }));
      return {
        user,
        memberships: await deps.store.listMemberships(user.id),
        via: "oidc",
        scope: "api",
        expiresAt: identity.sessionExpiresAt,
      };
    },
  };
}
