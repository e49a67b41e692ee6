/** Teams, users, memberships and API tokens. */
import { sql, type Transaction } from "kysely";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { appendAudit } from "./audit.ts";
import { notFound, type StoreContext, uniquely } from "./context.ts";
import { newId } from "./ids.ts";
import { decodeCursor, toPage } from "./paging.ts";
import {
  type ApiToken,
  apiTokenSchema,
  type Membership,
  membershipSchema,
  type Page,
  type PageRequest,
  type Role,
  type Team,
  teamSchema,
  type User,
  userSchema,
} from "./records.ts";
import type { Actor, NewApiToken } from "./store.ts";
import type { Tables } from "./tables.ts";

export async function createTeam(ctx: StoreContext, actor: Actor, name: string): Promise<Team> {
  const team: Team = teamSchema.parse({ id: newId("team"), name, createdAt: ctx.now() });
  await uniquely(ctx, "team", name, () =>
    ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto("teams").values(team).execute();
      await appendAudit(trx, {
        actor,
        action: "team.create",
        subject: `team/${name}`,
        teamName: name,
        before: null,
        after: team,
        at: team.createdAt,
      });
    }),
  );
  return team;
}

export async function getTeam(ctx: StoreContext, name: string): Promise<Team> {
  const row = await ctx.db.selectFrom("teams").selectAll().where("name", "=", name).executeTakeFirst();
  if (row === undefined) throw notFound("team", name);
  return teamSchema.parse(row);
}

export async function listTeams(ctx: StoreContext, page: PageRequest): Promise<Page<Team>> {
  const after = decodeCursor("teams", page.cursor);
  let query = ctx.db
    .selectFrom("teams")
    .selectAll()
    .orderBy("name")
    .limit(page.limit + 1);
  if (after !== undefined) query = query.where("name", ">", after);
  const rows = (await query.execute()).map((r) => teamSchema.parse(r));
  return toPage("teams", rows, page.limit, (t) => t.name);
}

export async function ensureUser(
  ctx: StoreContext,
  actor: Actor,
  input: { subject: string; displayName: string; isAdmin?: boolean },
): Promise<User> {
  const existing = await findUserBySubject(ctx, input.subject);
  if (existing) return existing;
  const user: User = userSchema.parse({
    id: newId("usr"),
    subject: input.subject,
    displayName: input.displayName,
    isAdmin: input.isAdmin ?? false,
    createdAt: ctx.now(),
  });
  try {
    await ctx.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("users")
        .values({ ...user, isAdmin: user.isAdmin ? 1 : 0 })
        .execute();
      await appendAudit(trx, {
        actor,
        action: "user.create",
        subject: `user/${user.subject}`,
        teamName: null,
        before: null,
        after: user,
        at: user.createdAt,
      });
    });
  } catch (error) {
    // Two first logins of the same person raced; the other one created the user.
    if (!ctx.isUniqueViolation(error)) throw error;
    const raced = await findUserBySubject(ctx, input.subject);
    if (raced === undefined) throw error;
    return raced;
  }
  return user;
}

export async function getUser(ctx: StoreContext, id: string): Promise<User> {
  const row = await ctx.db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  if (row === undefined) throw notFound("user", id);
  return userSchema.parse(row);
}

export async function findUserBySubject(ctx: StoreContext, subject: string): Promise<User | undefined> {
  const row = await ctx.db.selectFrom("users").selectAll().where("subject", "=", subject).executeTakeFirst();
  return row === undefined ? undefined : userSchema.parse(row);
}

export async function countUsers(ctx: StoreContext): Promise<number> {
  const row = await ctx.db
    .selectFrom("users")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function setMembership(
  ctx: StoreContext,
  actor: Actor,
  teamName: string,
  userId: string,
  role: Role | null,
): Promise<void> {
  const team = await getTeam(ctx, teamName);
  const user = await getUser(ctx, userId);
  await ctx.db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom("memberships")
      .select("role")
      .where("teamId", "=", team.id)
      .where("userId", "=", userId)
      .executeTakeFirst();
    await trx.deleteFrom("memberships").where("teamId", "=", team.id).where("userId", "=", userId).execute();
    if (role !== null)
      await trx.insertInto("memberships").values({ teamId: team.id, userId, role }).execute();
    await appendAudit(trx, {
      actor,
      action: role === null ? "membership.remove" : "membership.set",
      subject: `team/${teamName}/member/${user.subject}`,
      teamName,
      before: before ?? null,
      after: role === null ? null : { role },
      at: ctx.now(),
    });
  });
}

export async function listMemberships(ctx: StoreContext, userId: string): Promise<readonly Membership[]> {
  const rows = await ctx.db
    .selectFrom("memberships")
    .innerJoin("teams", "teams.id", "memberships.teamId")
    .select(["teams.name as teamName", "memberships.userId", "memberships.role"])
    .where("memberships.userId", "=", userId)
    .orderBy("teams.name")
    .execute();
  return rows.map((r) => membershipSchema.parse(r));
}

export async function createApiToken(ctx: StoreContext, actor: Actor, input: NewApiToken): Promise<ApiToken> {
  const user = await getUser(ctx, input.userId);
  const token: ApiToken = apiTokenSchema.parse({
    id: input.id ?? newId("tok"),
    userId: input.userId,
    name: input.name,
    scope: input.scope ?? "api",
    createdAt: ctx.now(),
    expiresAt: input.expiresAt,
    revokedAt: null,
    mintedBy: input.mintedBy ?? null,
  });
  await uniquely(ctx, "token", token.id, () =>
    ctx.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("apiTokens")
        .values({ ...token, secretHash: input.secretHash })
        .execute();
      await appendAudit(trx, {
        actor,
        action: "token.create",
        subject: `user/${user.subject}/token/${token.id}`,
        teamName: null,
        before: null,
        after: token,
        at: token.createdAt,
      });
    }),
  );
  return token;
}

const tokenColumns = [
  "id",
  "userId",
  "name",
  "scope",
  "createdAt",
  "expiresAt",
  "revokedAt",
  "mintedBy",
] as const;

/** How many generations of minting are followed: far more than anyone mints, and a bound all the same. */
const lineageDepth = 64;

/**
 * The nearest token `id` was minted with (directly, or through tokens minted with it) that is
 * revoked: a token is dead with its minter. One recursive query, on both databases.
 */
export async function revokedAncestor(ctx: StoreContext, id: string): Promise<ApiToken | undefined> {
  const found = await sql<{ id: string }>`
    with recursive lineage (id, minted_by, revoked_at, depth) as (
      select parent.id, parent.minted_by, parent.revoked_at, 1
        from api_tokens child join api_tokens parent on parent.id = child.minted_by
        where child.id = ${id}
      union all
      select t.id, t.minted_by, t.revoked_at, lineage.depth + 1
        from api_tokens t join lineage on t.id = lineage.minted_by
        where lineage.depth < ${lineageDepth}
    )
    select id from lineage where revoked_at is not null order by depth limit 1`.execute(ctx.db);
  const row = found.rows[0];
  return row === undefined ? undefined : getApiToken(ctx, row.id);
}

/** Every live token minted with `id`, at any remove: revoked with it. */
async function liveDescendants(trx: Transaction<Tables>, id: string): Promise<readonly string[]> {
  const found = await sql<{ id: string }>`
    with recursive lineage (id, revoked_at, depth) as (
      select id, revoked_at, 1 from api_tokens where minted_by = ${id}
      union all
      select t.id, t.revoked_at, lineage.depth + 1
        from api_tokens t join lineage on t.minted_by = lineage.id
        where lineage.depth < ${lineageDepth}
    )
    select id from lineage where revoked_at is null order by id`.execute(trx);
  return found.rows.map((r) => r.id);
}

export async function findApiTokenByHash(
  ctx: StoreContext,
  secretHash: string,
): Promise<ApiToken | undefined> {
  const row = await ctx.db
    .selectFrom("apiTokens")
    .select(tokenColumns)
    .where("secretHash", "=", secretHash)
    .executeTakeFirst();
  return row === undefined ? undefined : apiTokenSchema.parse(row);
}

export async function getApiToken(ctx: StoreContext, id: string): Promise<ApiToken> {
  const row = await ctx.db
    .selectFrom("apiTokens")
    .select(tokenColumns)
    .where("id", "=", id)
    .executeTakeFirst();
  if (row === undefined) throw notFound("token", id);
  return apiTokenSchema.parse(row);
}

export async function listApiTokens(
  ctx: StoreContext,
  userId: string,
  page: PageRequest,
): Promise<Page<ApiToken>> {
  const after = decodeCursor("tokens", page.cursor);
  let query = ctx.db
    .selectFrom("apiTokens")
    .select(tokenColumns)
    .where("userId", "=", userId)
    .orderBy("id", "desc")
    .limit(page.limit + 1);
  if (after !== undefined) query = query.where("id", "<", after);
  const rows = (await query.execute()).map((r) => apiTokenSchema.parse(r));
  return toPage("tokens", rows, page.limit, (t) => t.id);
}

export async function revokeApiToken(ctx: StoreContext, actor: Actor, id: string): Promise<ApiToken> {
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom("apiTokens")
      .select(tokenColumns)
      .where("id", "=", id)
      .executeTakeFirst();
    if (row === undefined) throw notFound("token", id);
    const before = apiTokenSchema.parse(row);
    if (before.revokedAt !== null) {
      throw new SlipwayError(ErrorCode.Conflict, `token "${id}" is already revoked`, {
        details: { token: id },
      });
    }
    const now = ctx.now();
    const after: ApiToken = { ...before, revokedAt: now };
    await trx.updateTable("apiTokens").set({ revokedAt: now }).where("id", "=", id).execute();
    await appendAudit(trx, {
      actor,
      action: "token.revoke",
      subject: `token/${id}`,
      teamName: null,
      before,
      after,
      at: now,
    });
    // What was minted with it goes with it, so the list shows them dead too. A token minted while
    // this commits is not seen here; `revokedAncestor` refuses it when it is used.
    for (const child of await liveDescendants(trx, id)) {
      const row = await trx
        .selectFrom("apiTokens")
        .select(tokenColumns)
        .where("id", "=", child)
        .executeTakeFirstOrThrow();
      const was = apiTokenSchema.parse(row);
      await trx.updateTable("apiTokens").set({ revokedAt: now }).where("id", "=", child).execute();
      await appendAudit(trx, {
        actor,
        action: "token.revoke",
        subject: `token/${child}`,
        teamName: null,
        before: was,
        after: { ...was, revokedAt: now },
        at: now,
      });
    }
    return after;
  });
}
