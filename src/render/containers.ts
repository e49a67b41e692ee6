/**
 * Init containers and sidecars. Both default to the app's image (the release's digest) and, with
 * it, the app's environment; a container of another image gets only what it declares, so a
 * third-party sidecar never sees the app's secrets unless asked (`appEnv: true`). Sidecars are
 * native sidecars (init containers with `restartPolicy: Always`, Kubernetes 1.29 or later): they
 * start after the init containers, before the app, and stop after it.
 */
import type { AppSpec } from "../spec/app-schema.ts";
import { type RenderContext, RenderProblem, RenderProblems } from "./context.ts";
import { envFromSources, envVars } from "./env-refs.ts";
import type { PodVolumes } from "./volumes.ts";

type Extra = NonNullable<AppSpec["initContainers"]>[number] & {
  ports?: NonNullable<AppSpec["sidecars"]>[number]["ports"];
};
type Json = Record<string, unknown>;

/** The first minor version with native sidecars on by default. */
const SIDECAR_MINOR = 29;

export function initContainers(
  ctx: RenderContext,
  volumes: PodVolumes,
  mainName: string,
  security: Json,
): Json[] {
  const { spec } = ctx;
  const sidecars = spec.sidecars ?? [];
  if (sidecars.length) refuseOldCluster(ctx);
  const problems: RenderProblem[] = [];
  const names = new Set([mainName]);
  const build = (c: Extra, field: string, sidecar: boolean): Json[] => {
    if (names.has(c.name)) {
      problems.push(
        new RenderProblem(`${field}.name`, `container name \`${c.name}\` is already taken in the pod`),
      );
      return [];
    }
    names.add(c.name);
    try {
      return [extra(ctx, c, field, volumes, security, sidecar)];
    } catch (error) {
      if (error instanceof RenderProblem) problems.push(error);
      else throw error;
      return [];
    }
  };
  const out = [
    ...(spec.initContainers ?? []).flatMap((c, i) => build(c, `initContainers[${i}]`, false)),
    ...sidecars.flatMap((c, i) => build(c, `sidecars[${i}]`, true)),
  ];
  if (problems.length) throw new RenderProblems(problems);
  return out;
}

function extra(
  ctx: RenderContext,
  c: Extra,
  field: string,
  volumes: PodVolumes,
  security: Json,
  sidecar: boolean,
): Json {
  const ownImage = c.image === undefined;
  const appEnv = c.appEnv ?? ownImage;
  const env = envVars(appEnv ? { ...ctx.spec.env, ...c.env } : c.env);
  const envFrom = appEnv ? envFromSources(ctx) : [];
  const resources = c.resources ?? ctx.spec.resources;
  return {
    name: c.name,
    image: c.image ?? ctx.image.reference,
    imagePullPolicy: ownImage
      ? (ctx.spec.image.pullPolicy ?? (ctx.image.digest ? "IfNotPresent" : "Always"))
      : "IfNotPresent",
    ...(sidecar ? { restartPolicy: "Always" } : {}),
    ...(c.command ? { command: c.command } : {}),
    ...(c.args ? { args: c.args } : {}),
    ...(c.ports?.length
      ? {
          ports: c.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol ?? "TCP" })),
        }
      : {}),
    ...(env.length ? { env } : {}),
    ...(envFrom.length ? { envFrom } : {}),
    ...(resources ? { resources: resourceFields(resources) } : {}),
    securityContext: structuredClone(security),
    volumeMounts: volumes.mountsFor(c.volumes, `${field}.volumes`),
  };
}

export function resourceFields(r: NonNullable<AppSpec["resources"]>): Json {
  const out: Json = {};
  if (r.requests && Object.keys(r.requests).length) out.requests = { ...r.requests };
  if (r.limits && Object.keys(r.limits).length) out.limits = { ...r.limits };
  return out;
}

/** Native sidecars need 1.29; a platform that says its cluster is older gets a clear refusal. */
function refuseOldCluster(ctx: RenderContext): void {
  const cluster = ctx.platform.clusters.find((c) => c.name === ctx.target.cluster);
  const minor = Number(/^v?1\.([0-9]+)/.exec(cluster?.kubernetesVersion ?? "")?.[1] ?? Number.NaN);
  if (minor < SIDECAR_MINOR) {
    throw new RenderProblem(
      "sidecars",
      `native sidecars need Kubernetes 1.${SIDECAR_MINOR} or later, and the platform file says cluster \`${cluster?.name}\` runs ${cluster?.kubernetesVersion}: run the helper as an init container, or upgrade the cluster and its kubernetesVersion`,
    );
  }
}
