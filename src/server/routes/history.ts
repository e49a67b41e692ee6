/** An app's history, and the DORA numbers of an app or a team. */
import {
  doraQuery,
  doraResponseSchema,
  historyPageSchema,
  historyQuery,
  windowSeconds,
} from "../../api/history.ts";
import { appParams } from "../../api/requests.ts";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { computeDora, type DoraReport } from "../../delivery/dora.ts";
import { doraSettings } from "../../delivery/dora-settings.ts";
import { notFound } from "../../store/context.ts";
import { everyItem } from "../../store/paging.ts";
import type { Store } from "../../store/store.ts";
import { type RouteDef, route } from "../route.ts";

export const historyRoutes: readonly RouteDef[] = [
  route({
    method: "get",
    path: "/api/v1/apps/:app/history",
    summary: "Every release and deployment of an app, newest first, with what each deployment replaced",
    params: appParams,
    query: historyQuery,
    response: historyPageSchema,
    access: { scope: "team", role: "viewer" },
    team: async ({ params, store }) => (await store.getApp(params.app)).teamName,
    concealed: ({ app }) => notFound("app", app),
    handle: async ({ store, params, query }) => {
      const page = await store.listHistory(params.app, { limit: query.limit, cursor: query.cursor });
      return { items: [...page.items], nextCursor: page.nextCursor };
    },
  }),
  route({
    method: "get",
    path: "/api/v1/dora",
    summary:
      "DORA numbers of an app (?app=) or a team (?team=) over a window, in the production channel, with the deployments behind each",
    query: doraQuery,
    response: doraResponseSchema,
    access: { scope: "team", role: "viewer" },
    team: async ({ query, store }) => {
      if (query.app !== undefined) {
        const app = await store.getApp(query.app);
        // An app of another team is, for this question, an app that does not exist.
        if (query.team !== undefined && query.team !== app.teamName) throw notFound("app", query.app);
        return app.teamName;
      }
      if (query.team !== undefined) return (await store.getTeam(query.team)).name;
      throw new SlipwayError(ErrorCode.Input, "name a team (?team=) or an app (?app=) for the DORA numbers", {
        details: { field: "team" },
      });
    },
    // What an app's numbers would tell is its team's business; team names are public (403 instead).
    concealed: (_params, query) => (query.app === undefined ? undefined : notFound("app", query.app)),
    handle: async ({ store, query, platform }) => {
      const settings = doraSettings(platform());
      const to = query.until === undefined ? Date.now() : Date.parse(query.until);
      const window = {
        from: new Date(to - windowSeconds(query.window) * 1000).toISOString(),
        to: new Date(to).toISOString(),
      };
      // Of the releases' commits, only those this window's lead time can count are read.
      const { deployments: records, releases } = await store.readDoraWindow({
        appName: query.app,
        teamName: query.app === undefined ? query.team : undefined,
        targetName: settings.productionChannel,
        from: window.from,
        until: window.to,
      });
      const names = query.app !== undefined ? [query.app] : await teamApps(store, query.team!);
      const apps = names.map((app) => ({
        app,
        report: computeDora(
          records.filter((r) => r.appName === app),
          window,
          settings,
          releases.filter((r) => r.appName === app),
        ) as DoraReport,
      }));
      return {
        team: query.team ?? null,
        app: query.app ?? null,
        settings: { ...settings, failureStatuses: [...settings.failureStatuses] },
        total: computeDora(records, window, settings, releases),
        apps,
      };
    },
  }),
];

/** Every app of the team, by name. */
async function teamApps(store: Store, team: string): Promise<string[]> {
  const names: string[] = [];
  for await (const app of everyItem((page) => store.listApps({ teams: [team] }, page))) names.push(app.name);
  return names;
}
