/**
 * Turns the Authorization header into a `Principal`: `Bearer slw_…` is an API token, any other
 * bearer is an OIDC JWT (when OIDC is configured). OIDC users are created on first sign-in; their
 * team roles are granted like anyone's, through the members route.
 */
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import type { Store } from "../../store/store.ts";
import { systemActor } from "../../store/store.ts";
import { tokenPrefix, verifyToken } from "./api-tokens.ts";
import type { OidcVerifier } from "./oidc.ts";
import type { Principal } from "./principal.ts";

export type Authenticator = (authorization: string | undefined) => Promise<Principal>;

export function authenticator(deps: {
  store: Store;
  oidc?: OidcVerifier | undefined;
  now?: () => Date;
}): Authenticator {
  const now = deps.now ?? (() => new Date());
  return async (authorization) => {
    if (authorization === undefined || authorization === "") {
      throw new SlipwayError(
        ErrorCode.Unauthenticated,
        "no credentials: send Authorization: Bearer <token> (run `slipway login`)",
      );
    }
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match?.[1]) {
      throw new SlipwayError(ErrorCode.Unauthenticated, "the Authorization header must be `Bearer <token>`");
    }
    const credential = match[1];
    if (credential.startsWith(tokenPrefix)) {
      const user = await verifyToken(deps.store, credential, now());
      return { user, memberships: await deps.store.listMemberships(user.id), via: "token" };
    }
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
    return { user, memberships: await deps.store.listMemberships(user.id), via: "oidc" };
  };
}
