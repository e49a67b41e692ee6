/** Apps and targets. */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { appendAudit } from "./audit.ts";
import { notFound, type StoreContext, uniquely } from "./context.ts";
import { getTeam } from "./identity-queries.ts";
import { newId } from "./ids.ts";
import { decodeCursor, toPage } from "./paging.ts";
import {
  type App,
  appSchema,
  type Page,
  type PageRequest,
  type Target,
  type TargetKind,
  targetSchema,
} from "./records.ts";
import type { Actor } from "./store.ts";

function appsQuery(ctx: Pick<StoreContext, "db">) {
  return ctx.db
    .selectFrom("apps")
    .innerJoin("teams", "teams.id", "apps.teamId")
    .select([
      "apps.id",
      "apps.name",
      "teams.name as teamName",
      "apps.description",
      "apps.version",
      "apps.createdAt",
      "apps.updatedAt",
    ]);
}

export async function createApp(
  ctx: StoreContext,
  actor: Actor,
  input: { name: string; teamName: string; description: string },
): Promise<App> {
  const team = await getTeam(ctx, input.teamName);
  const now = ctx.now();
  const app: App = appSchema.parse({
    id: newId("app"),
    ...input,
    version: 1,
    createdAt: now,
    updatedAt: now,
  });
  await uniquely(ctx, "app", input.name, () =>
    ctx.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("apps")
        .values({
          id: app.id,
          teamId: team.id,
          name: app.name,
          description: app.description,
          version: 1,
          createdAt: now,
          updatedAt: now,
        })
        .execute();
      await appendAudit(trx, {
        actor,
        action: "app.create",
        subject: `app/${app.name}`,
        teamName: app.teamName,
        before: null,
        after: app,
        at: now,
      });
    }),
  );
  return app;
}

export async function getApp(ctx: StoreContext, name: string): Promise<App> {
  const [row] = await ctx.compiled.rows("getApp", [name], (db, [n]) =>
    appsQuery({ db }).where("apps.name", "=", n),
  );
  if (row === undefined) throw notFound("app", name);
  return appSchema.parse(row);
}

export async function listApps(
  ctx: StoreContext,
  filter: { teams?: readonly string[] | undefined },
  page: PageRequest,
): Promise<Page<App>> {
  if (filter.teams !== undefined && filter.teams.length === 0) return { items: [], nextCursor: null };
  const after = decodeCursor("apps", page.cursor);
  const teams = filter.teams ?? [];
  // One compiled shape per (number of teams, first page or not); the limit is a bound value.
  const key = `listApps:${filter.teams === undefined ? "all" : teams.length}:${after !== undefined}`;
  const args: [number, string | undefined, ...string[]] = [page.limit + 1, after, ...teams];
  const found = await ctx.compiled.rows(key, args, (db, [limit, afterName, ...teamNames]) => {
    let query = appsQuery({ db }).orderBy("apps.name").limit(limit);
    if (filter.teams !== undefined) query = query.where("teams.name", "in", teamNames);
    if (after !== undefined) query = query.where("apps.name", ">", afterName as string);
    return query;
  });
  const rows = found.map((r) => appSchema.parse(r));
  return toPage("apps", rows, page.limit, (a) => a.name);
}

export async function updateApp(
  ctx: StoreContext,
  actor: Actor,
  name: string,
  input: { expectedVersion: number; description: string },
): Promise<App> {
  return ctx.db.transaction().execute(async (trx) => {
    const now = ctx.now();
    // Compare-and-set in one statement: of two writers that read the same version, exactly one
    // matches; the other learns it lost instead of silently overwriting.
    const result = await trx
      .updateTable("apps")
      .set((eb) => ({ description: input.description, version: eb("version", "+", 1), updatedAt: now }))
      .where("name", "=", name)
      .where("version", "=", input.expectedVersion)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      const current = await trx
        .selectFrom("apps")
        .select("version")
        .where("name", "=", name)
        .executeTakeFirst();
      if (current === undefined) throw notFound("app", name);
      throw new SlipwayError(
        ErrorCode.Conflict,
        `app "${name}" changed since you read it (version ${input.expectedVersion}, now ${current.version}): read it again and retry`,
        { details: { app: name, expectedVersion: input.expectedVersion, currentVersion: current.version } },
      );
    }
    const row = await appsQuery({ db: trx }).where("apps.name", "=", name).executeTakeFirstOrThrow();
    const after = appSchema.parse(row);
    const before = { ...after, version: input.expectedVersion };
    await appendAudit(trx, {
      actor,
      action: "app.update",
      subject: `app/${name}`,
      teamName: after.teamName,
      before,
      after,
      at: now,
    });
    return after;
  });
}

export async function createTarget(
  ctx: StoreContext,
  actor: Actor,
  input: { name: string; kind: TargetKind },
): Promise<Target> {
  const target: Target = targetSchema.parse({ id: newId("tgt"), ...input, createdAt: ctx.now() });
  await uniquely(ctx, "target", input.name, () =>
    ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto("targets").values(target).execute();
      await appendAudit(trx, {
        actor,
        action: "target.create",
        subject: `target/${target.name}`,
        teamName: null,
        before: null,
        after: target,
        at: target.createdAt,
      });
    }),
  );
  return target;
}

export async function getTarget(ctx: StoreContext, name: string): Promise<Target> {
  const row = await ctx.db.selectFrom("targets").selectAll().where("name", "=", name).executeTakeFirst();
  if (row === undefined) throw notFound("target", name);
  return targetSchema.parse(row);
}

export async function listTargets(ctx: StoreContext, page: PageRequest): Promise<Page<Target>> {
  const after = decodeCursor("targets", page.cursor);
  let query = ctx.db
    .selectFrom("targets")
    .selectAll()
    .orderBy("name")
    .limit(page.limit + 1);
  if (after !== undefined) query = query.where("name", ">", after);
  const rows = (await query.execute()).map((r) => targetSchema.parse(r));
  return toPage("targets", rows, page.limit, (t) => t.name);
}
