/**
 * (app, platform, target, image) → Kubernetes objects. Pure and deterministic: no I/O, no clock,
 * no randomness; the same input gives the same objects in the same order, and every object is
 * checked against its Kubernetes schema. A spec field the renderer cannot place is an error that
 * points into slipway.yaml, never a silent drop.
 */
import { createHash } from "node:crypto";
import { ErrorCode, type Problem, SlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import type { AppSpec } from "../spec/app-schema.ts";
import { type LoadedApp, type LoadedPlatform, resolveAppSpec } from "../spec/parse.ts";
import { configMap, secrets } from "./config.ts";
import { namesFor, type RenderContext, RenderProblem, RenderProblems } from "./context.ts";
import { cronJobObjects } from "./cronjobs.ts";
import { applyExtras } from "./extras.ts";
import { hookJobObjects, orderForPreDeployJobs } from "./hook-jobs.ts";
import { namespace, serviceAccount } from "./identity.ts";
import { type ImageRef, resolveImage } from "./image.ts";
import { schemaProblems } from "./k8s-schema.ts";
import { labelsFor } from "./labels.ts";
import { serviceMonitor } from "./monitoring.ts";
import { networkPolicy, service } from "./network.ts";
import { placeByKind } from "./parts.ts";
import { deployment } from "./pod.ts";
import { processObjects } from "./processes.ts";
import { rbacObjects } from "./rbac.ts";
import { previewRoutes } from "./route-checks.ts";
import { routeObjects } from "./route-groups.ts";
import { autoscaler, disruptionBudget } from "./scaling.ts";
import { type RenderTarget, resolveTarget } from "./target.ts";
import { persistentClaims } from "./volumes.ts";

export interface RenderInput {
  readonly app: LoadedApp;
  readonly platform: LoadedPlatform;
  /** A channel name, or `preview:<branch>`. */
  readonly target: string;
  /** `repository@sha256:…` (or just the digest); defaults to the spec's image tag. */
  readonly image?: string;
  /** The release id, recorded as the `slipway.dev/release` label. */
  readonly release?: string;
}

export interface RenderResult {
  readonly objects: KubeObject[];
  readonly target: RenderTarget;
  readonly spec: AppSpec;
  readonly image: ImageRef;
}

/** Apply order: what others refer to comes first (cdk8s-style explicit dependency order). */
export const KIND_ORDER = [
  "Namespace",
  "ServiceAccount",
  "Role",
  "RoleBinding",
  "ClusterRole",
  "ClusterRoleBinding",
  "ConfigMap",
  "Secret",
  "PersistentVolumeClaim",
  "Service",
  "Deployment",
  "StatefulSet",
  "CronJob",
  "Job",
  "HorizontalPodAutoscaler",
  "PodDisruptionBudget",
  "Ingress",
  "HTTPRoute",
  "GRPCRoute",
  "NetworkPolicy",
  "ServiceMonitor",
] as const;

export function render(input: RenderInput): RenderResult {
  const platform = input.platform.platform;
  const base = input.app.spec;
  const target = resolveTarget(input.target, platform, base);
  const spec = previewRoutes(
    resolveAppSpec(input.app, input.platform, target.environment),
    input.app,
    target,
  );
  const image = resolveImage(spec, input.image);
  const ctx: RenderContext = {
    spec,
    platform,
    target,
    image,
    labels: labelsFor(spec, platform, target, image, input.release),
    names: namesFor(spec),
  };
  // Each object is built on its own, so that one run reports every field the renderer cannot place.
  const refused: RenderProblem[] = [];
  const build = <T>(make: () => T): T | undefined => {
    try {
      return make();
    } catch (error) {
      if (error instanceof RenderProblems) refused.push(...error.problems);
      else if (error instanceof RenderProblem) refused.push(error);
      else throw error;
      return undefined;
    }
  };
  const config = build(() => configMap(ctx));
  const secretObjects = build(() => secrets(ctx)) ?? [];
  const checksum = configChecksum(config, secretObjects);
  let objects = [
    build(() => namespace(ctx)),
    build(() => serviceAccount(ctx)),
    ...(build(() => rbacObjects(ctx)) ?? []),
    config,
    ...secretObjects,
    ...(build(() => persistentClaims(ctx)) ?? []),
    build(() => service(ctx)),
    build(() => deployment(ctx, checksum)),
    build(() => autoscaler(ctx)),
    build(() => disruptionBudget(ctx)),
    ...(build(() => routeObjects(ctx)) ?? []),
    build(() => networkPolicy(ctx)),
    build(() => serviceMonitor(ctx)),
  ].filter((o): o is KubeObject => o !== undefined);
  const parts = [processObjects, cronJobObjects, hookJobObjects].flatMap(
    (make) => build(() => make(ctx, checksum)) ?? [],
  );
  objects = orderForPreDeployJobs(placeByKind(objects, parts, KIND_ORDER));
  if (refused.length > 0) throw locatedRenderError(input.app, target, refused);
  const invalid = objects.flatMap(schemaProblems);
  if (invalid.length > 0) {
    throw new SlipwayError(
      ErrorCode.RenderFailed,
      `rendered objects fail the Kubernetes schema:\n  ${invalid.join("\n  ")}`,
    );
  }
  // The escape hatch comes last, onto objects known to be valid, so a broken result is its own.
  const extended = build(() => applyExtras(ctx, objects, KIND_ORDER));
  if (refused.length > 0) throw locatedRenderError(input.app, target, refused);
  return { objects: extended ?? objects, target, spec, image };
}

/** Rolls the pods when a config file or the set of secret sources changes. */
function configChecksum(config: KubeObject | undefined, secretObjects: KubeObject[]): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify(config?.data ?? {}));
  for (const s of secretObjects)
    hash.update(`\0${s.metadata.name}\0${JSON.stringify(s.metadata.annotations ?? {})}`);
  return hash.digest("hex").slice(0, 16);
}

function locatedRenderError(
  app: LoadedApp,
  target: RenderTarget,
  errors: readonly RenderProblem[],
): SlipwayError {
  const problems = errors.map((error): Problem => {
    const path = parseFieldPath(error.field);
    const overridden = ["environments", target.environment, ...path];
    const inOverride = app.source.has(overridden);
    const where = inOverride ? overridden : path;
    return {
      file: app.source.file,
      ...app.source.positionOf(where),
      path: inOverride ? `environments.${target.environment}.${error.field}` : error.field,
      message: error.message,
    };
  });
  return new SlipwayError(ErrorCode.RenderFailed, `cannot render ${app.spec.name} for ${target.name}`, {
    problems,
  });
}

function parseFieldPath(field: string): (string | number)[] {
  return field
    .split(/\.|\[(\d+)\]/)
    .filter((s) => s !== undefined && s !== "")
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
