/**
 * The Deployment and the pod template every workload of the app shares: rollout strategy, probes,
 * warm-up (postStart), graceful shutdown (preStop sleep + grace period), resources, hardened
 * security context, volumes (volumes.ts), init containers and sidecars (containers.ts),
 * environment (env-refs.ts) and placement (placement.ts).
 */
import type { KubeObject } from "../core/kube-object.ts";
import type { AppSpec } from "../spec/app-schema.ts";
import { initContainers, resourceFields } from "./containers.ts";
import { metadata, type RenderContext, RenderProblem, resolvePort } from "./context.ts";
import { envFromSources, envVars } from "./env-refs.ts";
import { metricsAnnotations } from "./monitoring.ts";
import { placement } from "./placement.ts";
import { podVolumes } from "./volumes.ts";

type Probe = NonNullable<NonNullable<AppSpec["health"]>["readiness"]>;

const DEFAULT_PRESTOP_SECONDS = 5;
const DEFAULT_GRACE_SECONDS = 30;

export function effectiveMinReplicas(spec: AppSpec): number {
  return spec.autoscaling ? spec.autoscaling.minReplicas : (spec.replicas ?? 1);
}

/**
 * What a workload tells the pod template about itself; everything else (image, env, volumes,
 * probes, resources, security, placement) comes from `ctx.spec`, so a part with its own command,
 * ports or probes passes a context whose spec is the part merged over the app.
 */
export interface PodPart {
  /** The main container's name. */
  readonly container: string;
  /** The pod template's labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** The labels that select this part's pods (for the topology spread). */
  readonly selector: Readonly<Record<string, string>>;
  /** Whether two or more pods may run (spread them). */
  readonly replicated: boolean;
  /** Run-to-completion pods (`OnFailure` or `Never`) neither drain on stop nor warm up. */
  readonly restartPolicy?: "Always" | "OnFailure" | "Never";
}

/** The app's main process, as the Deployment `<app>` runs it. */
export function mainPart(ctx: RenderContext): PodPart {
  const { spec } = ctx;
  return {
    container: ctx.names.app,
    labels: ctx.labels.common,
    selector: ctx.labels.selector,
    replicated: effectiveMinReplicas(spec) > 1 || (spec.autoscaling?.maxReplicas ?? 1) > 1,
  };
}

export function deployment(ctx: RenderContext, checksum: string): KubeObject {
  const { spec } = ctx;
  const annotations: Record<string, string> = { ...spec.annotations };
  if (spec.description) annotations["slipway.dev/description"] = spec.description;
  if (spec.dependencies?.length) {
    annotations["slipway.dev/dependencies"] = spec.dependencies
      .map((d) => `${d.name}=${d.type}${d.version ? `:${d.version}` : ""}`)
      .join(",");
  }
  const recreate = spec.rollout?.strategy === "Recreate";
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(ctx, ctx.names.app, annotations),
    spec: {
      // With an HPA the replica count belongs to it; writing it here would fight the autoscaler.
      ...(spec.autoscaling ? {} : { replicas: spec.replicas ?? 1 }),
      revisionHistoryLimit: spec.rollout?.revisionHistoryLimit ?? 5,
      progressDeadlineSeconds: spec.rollout?.progressDeadlineSeconds ?? 600,
      ...(spec.rollout?.minReadySeconds !== undefined
        ? { minReadySeconds: spec.rollout.minReadySeconds }
        : {}),
      selector: { matchLabels: { ...ctx.labels.selector } },
      strategy: recreate
        ? { type: "Recreate" }
        : {
            type: "RollingUpdate",
            rollingUpdate: {
              maxSurge: spec.rollout?.maxSurge ?? "25%",
              maxUnavailable: spec.rollout?.maxUnavailable ?? 0,
            },
          },
      template: podTemplate(ctx, mainPart(ctx), checksum),
    },
  };
}

/** A pod template (`metadata` and `spec`) for any workload of the app. */
export function podTemplate(ctx: RenderContext, part: PodPart, checksum: string): Record<string, unknown> {
  return {
    metadata: {
      labels: { ...part.labels },
      annotations: {
        ...ctx.spec.annotations,
        ...metricsAnnotations(ctx),
        "slipway.dev/config-checksum": checksum,
      },
    },
    spec: podSpec(ctx, part),
  };
}

/** The pod spec of `part` (the app's main process when omitted). */
export function podSpec(ctx: RenderContext, part: PodPart = mainPart(ctx)): Record<string, unknown> {
  const { spec } = ctx;
  const serving = (part.restartPolicy ?? "Always") === "Always";
  const preStop = serving ? (spec.shutdown?.preStopDelaySeconds ?? DEFAULT_PRESTOP_SECONDS) : 0;
  const grace = spec.shutdown?.terminationGracePeriodSeconds ?? Math.max(DEFAULT_GRACE_SECONDS, preStop + 10);
  if (preStop > 0 && grace <= preStop) {
    throw new RenderProblem(
      "shutdown.terminationGracePeriodSeconds",
      `must be larger than preStopDelaySeconds (${preStop}), or the pod is killed before it finishes draining`,
    );
  }
  const sc = spec.securityContext ?? {};
  const volumes = podVolumes(ctx);
  const security = containerSecurity(spec);
  const init = initContainers(ctx, volumes, part.container, security);
  return {
    serviceAccountName: ctx.names.serviceAccount,
    automountServiceAccountToken: spec.serviceAccount?.automountToken ?? false,
    terminationGracePeriodSeconds: grace,
    ...(part.restartPolicy && part.restartPolicy !== "Always" ? { restartPolicy: part.restartPolicy } : {}),
    securityContext: {
      runAsNonRoot: sc.runAsNonRoot ?? true,
      ...(sc.runAsUser !== undefined ? { runAsUser: sc.runAsUser } : {}),
      ...(sc.runAsGroup !== undefined ? { runAsGroup: sc.runAsGroup } : {}),
      ...(sc.fsGroup !== undefined ? { fsGroup: sc.fsGroup } : {}),
      seccompProfile: { type: "RuntimeDefault" },
    },
    ...(spec.imagePullSecrets?.length
      ? { imagePullSecrets: [...new Set(spec.imagePullSecrets)].map((name) => ({ name })) }
      : {}),
    ...placement(ctx, { ...part.selector }, part.replicated),
    ...(init.length ? { initContainers: init } : {}),
    containers: [container(ctx, part, preStop, volumes.mounts, security)],
    volumes: volumes.volumes,
  };
}

function containerSecurity(spec: AppSpec): Record<string, unknown> {
  const sc = spec.securityContext ?? {};
  return {
    allowPrivilegeEscalation: sc.allowPrivilegeEscalation ?? false,
    privileged: false,
    readOnlyRootFilesystem: sc.readOnlyRootFilesystem ?? true,
    runAsNonRoot: sc.runAsNonRoot ?? true,
    capabilities: { drop: ["ALL"], ...(sc.addCapabilities?.length ? { add: sc.addCapabilities } : {}) },
  };
}

function container(
  ctx: RenderContext,
  part: PodPart,
  preStop: number,
  mounts: Record<string, unknown>[],
  security: Record<string, unknown>,
): Record<string, unknown> {
  const { spec } = ctx;
  const serving = (part.restartPolicy ?? "Always") === "Always";
  const env = envVars(spec.env);
  const envFrom = envFromSources(ctx);
  const lifecycle: Record<string, unknown> = {};
  if (spec.warmup && serving) lifecycle.postStart = { exec: { command: spec.warmup.command } };
  if (preStop > 0) lifecycle.preStop = { sleep: { seconds: preStop } };
  const health = serving ? (spec.health ?? {}) : {};
  return {
    name: part.container,
    image: ctx.image.reference,
    imagePullPolicy: spec.image.pullPolicy ?? (ctx.image.digest ? "IfNotPresent" : "Always"),
    ...(spec.command ? { command: spec.command } : {}),
    ...(spec.args ? { args: spec.args } : {}),
    ...(spec.ports?.length
      ? {
          ports: spec.ports.map((p) => ({
            name: p.name,
            containerPort: p.port,
            protocol: p.protocol ?? "TCP",
          })),
        }
      : {}),
    ...(env.length ? { env } : {}),
    ...(envFrom.length ? { envFrom } : {}),
    ...(spec.resources ? { resources: resourceFields(spec.resources) } : {}),
    ...(health.readiness ? { readinessProbe: probe(ctx, health.readiness, "health.readiness") } : {}),
    ...(health.liveness ? { livenessProbe: probe(ctx, health.liveness, "health.liveness") } : {}),
    ...(health.startup ? { startupProbe: probe(ctx, health.startup, "health.startup") } : {}),
    ...(Object.keys(lifecycle).length ? { lifecycle } : {}),
    securityContext: security,
    volumeMounts: mounts,
  };
}

function probe(ctx: RenderContext, p: Probe, field: string): Record<string, unknown> {
  const timing = {
    ...(p.initialDelaySeconds !== undefined ? { initialDelaySeconds: p.initialDelaySeconds } : {}),
    ...(p.periodSeconds !== undefined ? { periodSeconds: p.periodSeconds } : {}),
    ...(p.timeoutSeconds !== undefined ? { timeoutSeconds: p.timeoutSeconds } : {}),
    ...(p.failureThreshold !== undefined ? { failureThreshold: p.failureThreshold } : {}),
    ...(p.successThreshold !== undefined ? { successThreshold: p.successThreshold } : {}),
  };
  if (p.http) {
    return {
      httpGet: {
        path: p.http.path,
        port: resolvePort(ctx, p.http.port, `${field}.http.port`).name,
        ...(p.http.scheme ? { scheme: p.http.scheme } : {}),
        ...(p.http.headers
          ? { httpHeaders: Object.entries(p.http.headers).map(([name, value]) => ({ name, value })) }
          : {}),
      },
      ...timing,
    };
  }
  if (p.tcp)
    return { tcpSocket: { port: resolvePort(ctx, p.tcp.port, `${field}.tcp.port`).name }, ...timing };
  if (p.exec) return { exec: { command: p.exec.command }, ...timing };
  throw new RenderProblem(field, "a probe needs one of http, tcp or exec");
}
