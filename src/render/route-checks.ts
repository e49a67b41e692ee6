/**
 * What makes a set of routes wrong although each route is valid on its own, and where a route's
 * host and backend come from when it names a process or is rendered for a preview.
 */
import type { AppSpec } from "../spec/app-schema.ts";
import { type LoadedApp, PREVIEW_ENVIRONMENT } from "../spec/parse.ts";
import { type RenderContext, RenderProblem, resolvePort } from "./context.ts";
import { partContext, partObjectName } from "./parts.ts";
import type { RenderTarget } from "./target.ts";

type Route = NonNullable<AppSpec["routes"]>[number];

/**
 * A preview never takes a fixed host written for the channels: on a shared ingress controller a
 * preview claiming `shop.example.com` would take production's traffic. So unless the `preview`
 * environment writes its own `routes`, a preview's routes lose their fixed hosts and get the
 * preview's own host; hosts written under `environments.preview.routes` are kept (and still need
 * their grant).
 */
export function previewRoutes(spec: AppSpec, app: LoadedApp, target: RenderTarget): AppSpec {
  if (target.kind !== "preview" || spec.routes === undefined) return spec;
  const written = app.spec.environments?.[PREVIEW_ENVIRONMENT];
  if (written && "routes" in written) return spec;
  if (!spec.routes.some((r) => r.host !== undefined)) return spec;
  return { ...spec, routes: spec.routes.map(({ host: _fixed, ...r }) => r) };
}

/** The Service a route reaches and its port: the main process's, or the named process's. */
export function routeBackend(
  ctx: RenderContext,
  r: Route,
  i: number,
): { service: string; port: { name: string; port: number } } {
  const process = r.process === undefined ? undefined : ctx.spec.processes?.[r.process];
  const owner = process ? partContext(ctx, r.process!, process) : ctx;
  const port = resolvePort(owner, r.port, `routes[${i}].port`);
  const declared = (owner.spec.ports ?? []).find((p) => p.name === port.name);
  if (declared?.expose === false)
    throw new RenderProblem(`routes[${i}].port`, `routes to port ${port.name}, which has expose: false`);
  if ((declared?.protocol ?? "TCP") !== "TCP") {
    throw new RenderProblem(
      `routes[${i}].port`,
      `routes to port ${port.name}, which is ${declared?.protocol}: HTTP routes reach TCP ports only (expose a UDP port through the Service, without a route)`,
    );
  }
  return { service: process ? partObjectName(ctx.spec.name, r.process!) : ctx.names.app, port };
}

/**
 * The same host and path in two routes: ingress-nginx's admission refuses the second Ingress
 * rule, and with Gateway API one of them silently wins. Reported at the later route.
 */
export function duplicatePaths(routes: readonly { host: string; paths: string[] }[]): RenderProblem[] {
  const seen = new Map<string, number>();
  const problems: RenderProblem[] = [];
  routes.forEach((r, i) => {
    r.paths.forEach((path, j) => {
      const key = `${r.host}\0${path}`;
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else
        problems.push(
          new RenderProblem(
            `routes[${i}].paths[${j}]`,
            first === i
              ? `path ${path} is listed twice for host ${r.host}`
              : `host ${r.host} and path ${path} are already routed by routes[${first}]; one host and path reach one backend (merge the routes or change a path)`,
          ),
        );
    });
  });
  return problems;
}
