/**
 * Routes that need settings of their own — annotations (ingress-nginx's body size, timeouts for
 * websockets) or gRPC — get objects of their own, since such settings hold for a whole Ingress or
 * route object. Routes with the same settings share one object; the group of the first route is
 * named `<app>` as before, each other `<app>--route-<index of its first route>` (app names hold no
 * `--`, so no other app's object has that name). With Gateway API, a gRPC group is a GRPCRoute.
 */
import type { KubeObject } from "../core/kube-object.ts";
import type { AppSpec } from "../spec/app-schema.ts";
import { type RenderContext, RenderProblem, RenderProblems } from "./context.ts";
import { routes } from "./network.ts";
import { duplicatePaths } from "./route-checks.ts";

type Route = NonNullable<AppSpec["routes"]>[number];

export function routeObjects(ctx: RenderContext): KubeObject[] {
  const all = ctx.spec.routes ?? [];
  // One host and path reach one backend across all the app's route objects, not only within each.
  const acrossGroups = duplicatePaths(
    // A route without a host is refused on its own; a placeholder of its own keeps the indexes.
    all.map((r, i) => ({ host: r.host ?? ctx.target.defaultHost ?? `\0${i}`, paths: r.paths ?? ["/"] })),
  );
  if (acrossGroups.length) throw new RenderProblems(acrossGroups);
  const groups = new Map<string, number[]>();
  all.forEach((r, i) => {
    const key = JSON.stringify([r.protocol ?? "http", Object.entries(r.annotations ?? {}).sort()]);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const out: KubeObject[] = [];
  const problems: RenderProblem[] = [];
  for (const indexes of groups.values()) {
    const first = indexes[0]!;
    const group = indexes.map((i) => all[i]!);
    try {
      const object = routes({ ...ctx, spec: { ...ctx.spec, routes: group } });
      if (object)
        out.push(
          finish(ctx, object, group, first === 0 ? ctx.names.app : `${ctx.names.app}--route-${first}`),
        );
    } catch (error) {
      problems.push(...relocate(error, indexes));
    }
  }
  if (problems.length) throw new RenderProblems(problems);
  return out;
}

function finish(ctx: RenderContext, object: KubeObject, group: Route[], name: string): KubeObject {
  const grpc = group[0]!.protocol === "grpc";
  const annotations = {
    ...object.metadata.annotations,
    ...group[0]!.annotations,
    ...(grpc && object.kind === "Ingress" ? { "nginx.ingress.kubernetes.io/backend-protocol": "GRPC" } : {}),
  };
  const metadata = { ...object.metadata, name };
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  const result = { ...object, metadata };
  if (object.kind !== "HTTPRoute") return result;
  const spec = structuredClone(object.spec) as {
    rules: { matches?: unknown; backendRefs: { name: string; port: number }[] }[];
  };
  // Gateway API backends name the Service's port, which may differ from the container's.
  for (const rule of spec.rules) {
    for (const ref of rule.backendRefs) {
      const port = ctx.spec.ports?.find((p) => p.port === ref.port);
      if (ref.name === ctx.names.app && port?.servicePort !== undefined) ref.port = port.servicePort;
    }
  }
  if (!grpc) return { ...result, spec };
  group.forEach((r, i) => {
    if (r.paths !== undefined) {
      throw new RenderProblem(
        `routes[${i}].paths`,
        "a gRPC route matches gRPC services and methods, not paths: remove paths (the route takes every call to the host)",
      );
    }
  });
  for (const rule of spec.rules) delete rule.matches;
  return { ...result, kind: "GRPCRoute", spec };
}

/** Problems found in a group name its routes by their place in the group: give them their own. */
function relocate(error: unknown, indexes: number[]): RenderProblem[] {
  const list =
    error instanceof RenderProblems ? error.problems : error instanceof RenderProblem ? [error] : undefined;
  if (!list) throw error;
  return list.map(
    (p) =>
      new RenderProblem(
        p.field.replace(/^routes\[(\d+)\]/, (_, i: string) => `routes[${indexes[Number(i)] ?? i}]`),
        p.message,
      ),
  );
}
