/**
 * Who is calling, once authenticated, and what they may do. Authorization is decided here and
 * nowhere else: a route declares the access it needs, `authorize` says yes or throws.
 */
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { type Membership, type Role, roleRank, type TokenScope, type User } from "../../store/records.ts";
import type { Actor } from "../../store/store.ts";

export interface Principal {
  readonly user: User;
  readonly memberships: readonly Membership[];
  readonly via: "token" | "oidc";
  /** What the credential may be used for; an OIDC ID token is `api`. */
  readonly scope: TokenScope;
  /**
   * When the credential stops working (null: never). A token minted with it expires no later: a
   * credential cannot outlive itself by minting a longer one.
   */
  readonly expiresAt: Date | null;
  /** The API token in hand (via `token`): what a token minted with it names as its minter. */
  readonly tokenId?: string | undefined;
}

/**
 * What a route needs: any signed-in caller; a platform administrator; or at least `role` in the
 * team that owns the resource (platform administrators pass every team check).
 */
export type Access =
  | { readonly scope: "authenticated" }
  | { readonly scope: "platform-admin" }
  | { readonly scope: "team"; readonly role: Role };

export function actorOf(principal: Principal): Actor {
  return { userId: principal.user.id, subject: principal.user.subject };
}

export function roleIn(principal: Principal, team: string): Role | undefined {
  return principal.memberships.find((m) => m.teamName === team)?.role;
}

/** Teams whose resources the caller may list; undefined means all (platform administrators). */
export function visibleTeams(principal: Principal): readonly string[] | undefined {
  return principal.user.isAdmin ? undefined : principal.memberships.map((m) => m.teamName);
}

/**
 * Says yes or throws. `concealed` is what a caller outside `team` is told instead of "forbidden":
 * the not-found of a missing resource, for resources whose existence is the team's business.
 */
export function authorize(
  principal: Principal,
  access: Access,
  team: string | undefined,
  /** What an outsider is told instead (the resource "does not exist"); made only when needed. */
  concealed?: SlipwayError | (() => SlipwayError | undefined),
): void {
  refuseNarrowScope(principal);
  if (access.scope === "authenticated" || principal.user.isAdmin) return;
  if (access.scope === "platform-admin") {
    throw new SlipwayError(ErrorCode.Forbidden, "this needs a platform administrator", {
      details: { required: "platform-admin" },
    });
  }
  const role = team === undefined ? undefined : roleIn(principal, team);
  if (role === undefined) {
    const hidden = typeof concealed === "function" ? concealed() : concealed;
    if (hidden !== undefined) throw hidden;
    throw new SlipwayError(
      ErrorCode.Forbidden,
      `you are not a member of team "${team}": ask one of its admins to add you`,
      { details: { team: team ?? null, required: access.role } },
    );
  }
  if (roleRank[role] < roleRank[access.role]) {
    throw new SlipwayError(
      ErrorCode.Forbidden,
      `this needs the ${access.role} role in team "${team}"; you are ${role}`,
      { details: { team: team ?? null, required: access.role, role } },
    );
  }
}

/**
 * A scraper's token (scope `metrics`) opens `/metrics` and nothing else. Routes call this first,
 * before reading anything, so such a token cannot even learn what exists.
 */
export function refuseNarrowScope(principal: Principal): void {
  if (principal.scope !== "api") {
    throw new SlipwayError(
      ErrorCode.Forbidden,
      `this token's scope is ${principal.scope}: it may only read /${principal.scope}; use a token of scope api`,
      { details: { scope: principal.scope } },
    );
  }
}

/**
 * `/metrics`: platform administrators, or a token of scope `metrics` that one of them minted (the
 * check is on the user, so it stops working when they stop being an administrator).
 */
export function authorizeMetrics(principal: Principal): void {
  if (!principal.user.isAdmin) {
    throw new SlipwayError(
      ErrorCode.Forbidden,
      "/metrics needs a platform administrator's token: ask one for a token of scope metrics",
      { details: { required: "platform-admin" } },
    );
  }
}
