/**
 * The parts of an app besides its main process — processes, CronJobs, deploy-time Jobs — are
 * rendered by the same builders as the main process (pod.ts, network.ts, scaling.ts), each with a
 * context derived from the app's: the part's own fields laid over the app's spec, its own names
 * and its own pod selector. So whatever the pod template learns reaches every part.
 *
 * Names: `<app>--<part>`. App names hold no `--` and part names hold none either, so the name says
 * where the app ends: no part of one app can take the name of another app or of another app's
 * part in a shared namespace (`cart` + `worker` and app `cart-worker` are `cart--worker` and
 * `cart-worker`).
 */
import type { KubeObject } from "../core/kube-object.ts";
import type { AppSpec } from "../spec/app-schema.ts";
import type { RenderContext } from "./context.ts";
import { RenderProblem, RenderProblems } from "./context.ts";
import { LABEL } from "./labels.ts";
import { labelValue, partName } from "./names.ts";

export const COMPONENT_LABEL = "app.kubernetes.io/component";

/** Fields of the app that describe its main process only: a part never inherits them. */
const MAIN_ONLY = [
  "command",
  "args",
  "ports",
  "health",
  "replicas",
  "autoscaling",
  "rollout",
  "warmup",
  "routes",
  "description",
  "dependencies",
  "processes",
  "cronJobs",
  "jobs",
] as const;

/** Fields a part sets for itself; a problem in one is reported under the part's own path. */
const OWN_FIELDS = new Set([
  "command",
  "args",
  "env",
  "ports",
  "health",
  "resources",
  "replicas",
  "autoscaling",
  "rollout",
]);

/** `<app>--<part>` (names.ts). */
export const partObjectName = partName;

export interface PartFields {
  readonly command?: string[] | undefined;
  readonly args?: string[] | undefined;
  readonly env?: Record<string, unknown> | undefined;
  readonly ports?: AppSpec["ports"];
  readonly health?: AppSpec["health"];
  readonly resources?: AppSpec["resources"];
  readonly replicas?: number | undefined;
  readonly autoscaling?: AppSpec["autoscaling"];
  readonly rollout?: AppSpec["rollout"];
}

/**
 * The context a part renders in. `path` is where the part is written in slipway.yaml
 * (`processes.worker`), for locating problems; `objectName` overrides `<app>--<part>`.
 */
export function partContext(
  ctx: RenderContext,
  part: string,
  fields: PartFields,
  opts: { objectName?: string } = {},
): RenderContext {
  const app = ctx.spec.name;
  const spec: Record<string, unknown> = { ...ctx.spec };
  for (const key of MAIN_ONLY) delete spec[key];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || key === "env") continue;
    spec[key] = value;
  }
  const env = { ...ctx.spec.env, ...(fields.env as Record<string, string> | undefined) };
  if (Object.keys(env).length > 0) spec.env = env;
  // The app's metrics port is the main process's: a part scrapes only a port of its own by that name.
  const metrics = spec.metrics as { port?: string | number } | undefined;
  const ownPorts = (fields.ports ?? []) as { name: string; port: number }[];
  if (metrics && !ownPorts.some((p) => p.name === metrics.port || p.port === metrics.port))
    delete spec.metrics;
  // Routes that reach this process open its NetworkPolicy to the ingress controller.
  const routes = (ctx.spec.routes ?? []).filter((r) => r.process === part);
  if (routes.length > 0) spec.routes = routes;
  const instance = labelValue(`${app}--${part}-${ctx.target.name}`);
  return {
    ...ctx,
    spec: spec as AppSpec,
    names: { ...ctx.names, app: opts.objectName ?? partObjectName(app, part) },
    labels: {
      common: { ...ctx.labels.common, [LABEL.instance]: instance, [COMPONENT_LABEL]: part },
      selector: { [LABEL.name]: app, [LABEL.instance]: instance },
    },
  };
}

/** Runs `build`, moving problems in the part's own fields under the part's path in slipway.yaml. */
export function inPart<T>(path: string, build: () => T): T {
  const move = (p: RenderProblem) =>
    OWN_FIELDS.has(p.field.split(/[.[]/)[0] ?? "") ? new RenderProblem(`${path}.${p.field}`, p.message) : p;
  try {
    return build();
  } catch (error) {
    if (error instanceof RenderProblems) throw new RenderProblems(error.problems.map(move));
    if (error instanceof RenderProblem) throw move(error);
    throw error;
  }
}

/**
 * `objects` with `parts` placed after the last object of the same or an earlier kind in `order`,
 * keeping both lists' own order: the main process's objects stay exactly where they were.
 */
export function placeByKind(
  objects: readonly KubeObject[],
  parts: readonly KubeObject[],
  order: readonly string[],
): KubeObject[] {
  const out = [...objects];
  const rank = (kind: string) => order.indexOf(kind);
  for (const part of parts) {
    const mine = rank(part.kind);
    let at = out.length;
    if (mine !== -1) {
      at = 0;
      out.forEach((o, i) => {
        const r = rank(o.kind);
        if (r !== -1 && r <= mine) at = i + 1;
      });
    }
    out.splice(at, 0, part);
  }
  return out;
}
