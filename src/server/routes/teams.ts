/** Teams and members, the caller's own tokens, and the read-only audit log. */

import {
  createTeamBody,
  createTokenBody,
  pageQuerySchema,
  setMemberBody,
  teamParams,
  tokenParams,
} from "../../api/requests.ts";
import {
  apiTokenSchema,
  auditEventSchema,
  createdTokenSchema,
  emptySchema,
  pageOf,
  teamSchema,
  whoamiSchema,
} from "../../api/resources.ts";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { issueToken } from "../auth/api-tokens.ts";
import { actorOf } from "../auth/principal.ts";
import { type RouteDef, route } from "../route.ts";

const day = 24 * 60 * 60 * 1000;

export const teamRoutes: readonly RouteDef[] = [
  route({
    method: "get",
    path: "/api/v1/whoami",
    summary: "The caller and their team roles",
    response: whoamiSchema,
    access: { scope: "authenticated" },
    handle: async ({ principal }) => ({ user: principal.user, memberships: [...principal.memberships] }),
  }),
  route({
    method: "get",
    path: "/api/v1/teams",
    summary: "Teams, by name",
    query: pageQuerySchema,
    response: pageOf(teamSchema),
    access: { scope: "authenticated" },
    handle: ({ store, query }) => store.listTeams(query),
  }),
  route({
    method: "post",
    path: "/api/v1/teams",
    summary: "Create a team (platform administrators)",
    body: createTeamBody,
    response: teamSchema,
    status: 201,
    access: { scope: "platform-admin" },
    handle: ({ store, principal, body }) => store.createTeam(actorOf(principal), body.name),
  }),
  route({
    method: "put",
    path: "/api/v1/teams/:team/members",
    summary: "Give a user (by subject) a role in the team, or remove them with role null",
    params: teamParams,
    body: setMemberBody,
    response: emptySchema,
    access: { scope: "team", role: "admin" },
    team: async ({ params, store }) => (await store.getTeam(params.team)).name,
    handle: async ({ store, principal, params, body }) => {
      const user = await store.ensureUser(actorOf(principal), {
        subject: body.subject,
        displayName: body.subject,
      });
      await store.setMembership(actorOf(principal), params.team, user.id, body.role);
      return {};
    },
  }),
  route({
    method: "get",
    path: "/api/v1/teams/:team/audit",
    summary: "The team's audit events, newest first (read-only)",
    params: teamParams,
    query: pageQuerySchema,
    response: pageOf(auditEventSchema),
    access: { scope: "team", role: "admin" },
    team: async ({ params, store }) => (await store.getTeam(params.team)).name,
    handle: ({ store, params, query }) => store.listAudit({ teams: [params.team] }, query),
  }),
  route({
    method: "get",
    path: "/api/v1/audit",
    summary: "Every audit event, newest first (platform administrators; read-only)",
    query: pageQuerySchema,
    response: pageOf(auditEventSchema),
    access: { scope: "platform-admin" },
    handle: ({ store, query }) => store.listAudit({}, query),
  }),
  route({
    method: "get",
    path: "/api/v1/tokens",
    summary: "Your API tokens (never their secrets)",
    query: pageQuerySchema,
    response: pageOf(apiTokenSchema),
    access: { scope: "authenticated" },
    handle: ({ store, principal, query }) => store.listApiTokens(principal.user.id, query),
  }),
  route({
    method: "post",
    path: "/api/v1/tokens",
    summary: "Create an API token for yourself; the secret is shown only in this response",
    body: createTokenBody,
    response: createdTokenSchema,
    status: 201,
    access: { scope: "authenticated" },
    handle: ({ store, principal, body }) => {
      if (body.scope === "metrics" && !principal.user.isAdmin) {
        throw new SlipwayError(
          ErrorCode.Forbidden,
          "a token of scope metrics needs a platform administrator: ask one to mint it",
          { details: { required: "platform-admin" } },
        );
      }
      // Never later than the credential in hand: otherwise a sign-in the identity provider has
      // since revoked lives on in the tokens it minted.
      const requested = new Date(Date.now() + body.expiresInDays * day);
      const bound = principal.expiresAt;
      return issueToken(store, actorOf(principal), {
        userId: principal.user.id,
        name: body.name,
        scope: body.scope,
        expiresAt: bound !== null && bound < requested ? bound : requested,
        // Revoking the token in hand revokes this one too: a leaked token cannot buy itself an heir.
        mintedBy: principal.tokenId,
      });
    },
  }),
  route({
    method: "delete",
    path: "/api/v1/tokens/:token",
    summary: "Revoke one of your API tokens",
    params: tokenParams,
    response: apiTokenSchema,
    access: { scope: "authenticated" },
    handle: async ({ store, principal, params }) => {
      const token = await store.getApiToken(params.token);
      // Someone else's token looks exactly like a missing one: no probing for token ids.
      if (token.userId !== principal.user.id && !principal.user.isAdmin) {
        throw new SlipwayError(ErrorCode.NotFound, `token "${params.token}" does not exist`);
      }
      return store.revokeApiToken(actorOf(principal), params.token);
    },
  }),
];
