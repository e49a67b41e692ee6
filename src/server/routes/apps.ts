/** Apps (their releases: `releases.ts`). */
import { appParams, createAppBody, pageQuerySchema, updateAppBody } from "../../api/requests.ts";
import { appSchema, pageOf } from "../../api/resources.ts";
import { notFound } from "../../store/context.ts";
import type { App } from "../../store/records.ts";
import type { Store } from "../../store/store.ts";
import { actorOf, visibleTeams } from "../auth/principal.ts";
import { type RouteDef, route } from "../route.ts";

/**
 * The app a request names, read once: the team check and the handler get the same parsed params
 * object, so keying on it lets `GET /apps/:app` make one query instead of two (API benchmark).
 */
const appsByRequest = new WeakMap<object, Promise<App>>();
function requestedApp(input: { params: { app: string }; store: Store }): Promise<App> {
  let app = appsByRequest.get(input.params);
  if (app === undefined) {
    app = input.store.getApp(input.params.app);
    appsByRequest.set(input.params, app);
  }
  return app;
}

export const appRoutes: readonly RouteDef[] = [
  route({
    method: "get",
    path: "/api/v1/apps",
    summary: "List the apps of your teams, by name",
    query: pageQuerySchema,
    response: pageOf(appSchema),
    access: { scope: "authenticated" },
    handle: ({ store, principal, query }) => store.listApps({ teams: visibleTeams(principal) }, query),
  }),
  route({
    method: "post",
    path: "/api/v1/apps",
    summary: "Register an app in a team",
    body: createAppBody,
    response: appSchema,
    status: 201,
    access: { scope: "team", role: "admin" },
    team: async ({ body, store }) => (await store.getTeam(body.team)).name,
    handle: ({ store, principal, body }) =>
      store.createApp(actorOf(principal), {
        name: body.name,
        teamName: body.team,
        description: body.description,
      }),
  }),
  route({
    method: "get",
    path: "/api/v1/apps/:app",
    summary: "One app",
    params: appParams,
    response: appSchema,
    access: { scope: "team", role: "viewer" },
    team: async (input) => (await requestedApp(input)).teamName,
    concealed: ({ app }) => notFound("app", app),
    handle: (input) => requestedApp(input),
  }),
  route({
    method: "patch",
    path: "/api/v1/apps/:app",
    summary: "Change an app's description; name the version you read",
    params: appParams,
    body: updateAppBody,
    response: appSchema,
    access: { scope: "team", role: "developer" },
    team: async ({ params, store }) => (await store.getApp(params.app)).teamName,
    concealed: ({ app }) => notFound("app", app),
    handle: ({ store, principal, params, body }) =>
      store.updateApp(actorOf(principal), params.app, {
        expectedVersion: body.version,
        description: body.description,
      }),
  }),
];
