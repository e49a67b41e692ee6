/**
 * The Deployment and its pod template: rolling strategy, probes, warm-up (postStart), graceful
 * shutdown (preStop sleep + grace period), resources, hardened security context, topology spread.
 */
import type { KubeObject } from "../core/kube-object.ts";
import type { AppSpec } from "../spec/app-schema.ts";
import { configFileKeys } from "./config.ts";
import { metadata, type RenderContext, RenderProblem, resolvePort } from "./context.ts";

type Probe = NonNullable<NonNullable<AppSpec["health"]>["readiness"]>;

const DEFAULT_PRESTOP_SECONDS = 5;
const DEFAULT_GRACE_SECONDS = 30;

export function effectiveMinReplicas(spec: AppSpec): number {
  return spec.autoscaling ? spec.autoscaling.minReplicas : (spec.replicas ?? 1);
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
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(ctx, ctx.names.app, annotations),
    spec: {
      // With an HPA the replica count belongs to it; writing it here would fight the autoscaler.
      ...(spec.autoscaling ? {} : { replicas: spec.replicas ?? 1 }),
      revisionHistoryLimit: spec.rollout?.revisionHistoryLimit ?? 5,
      progressDeadlineSeconds: spec.rollout?.progressDeadlineSeconds ?? 600,
      selector: { matchLabels: { ...ctx.labels.selector } },
      strategy: {
        type: "RollingUpdate",
        rollingUpdate: {
          maxSurge: spec.rollout?.maxSurge ?? "25%",
          maxUnavailable: spec.rollout?.maxUnavailable ?? 0,
        },
      },
      template: {
        metadata: {
          labels: { ...ctx.labels.common },
          annotations: { ...spec.annotations, "slipway.dev/config-checksum": checksum },
        },
        spec: podSpec(ctx),
      },
    },
  };
}

export function podSpec(ctx: RenderContext): Record<string, unknown> {
  const { spec } = ctx;
  const preStop = spec.shutdown?.preStopDelaySeconds ?? DEFAULT_PRESTOP_SECONDS;
  const grace = spec.shutdown?.terminationGracePeriodSeconds ?? Math.max(DEFAULT_GRACE_SECONDS, preStop + 10);
  if (preStop > 0 && grace <= preStop) {
    throw new RenderProblem(
      "shutdown.terminationGracePeriodSeconds",
      `must be larger than preStopDelaySeconds (${preStop}), or the pod is killed before it finishes draining`,
    );
  }
  const sc = spec.securityContext ?? {};
  const volumes: Record<string, unknown>[] = [{ name: "tmp", emptyDir: {} }];
  const mounts: Record<string, unknown>[] = [{ name: "tmp", mountPath: "/tmp" }];
  if (spec.configFiles?.length) {
    volumes.push({ name: "config", configMap: { name: ctx.names.configMap } });
    for (const [key, file] of configFileKeys(spec.configFiles)) {
      mounts.push({ name: "config", mountPath: file.path, subPath: key, readOnly: true });
    }
  }
  for (const secret of spec.secrets ?? []) {
    if (!secret.mountPath) continue;
    volumes.push({ name: `secret-${secret.name}`, secret: { secretName: ctx.names.secret(secret.name) } });
    mounts.push({ name: `secret-${secret.name}`, mountPath: secret.mountPath, readOnly: true });
  }
  const multiReplica = effectiveMinReplicas(spec) > 1 || (spec.autoscaling?.maxReplicas ?? 1) > 1;
  return {
    serviceAccountName: ctx.names.serviceAccount,
    automountServiceAccountToken: spec.serviceAccount?.automountToken ?? false,
    terminationGracePeriodSeconds: grace,
    securityContext: {
      runAsNonRoot: sc.runAsNonRoot ?? true,
      ...(sc.runAsUser !== undefined ? { runAsUser: sc.runAsUser } : {}),
      ...(sc.runAsGroup !== undefined ? { runAsGroup: sc.runAsGroup } : {}),
      ...(sc.fsGroup !== undefined ? { fsGroup: sc.fsGroup } : {}),
      seccompProfile: { type: "RuntimeDefault" },
    },
    ...(multiReplica ? { topologySpreadConstraints: spread(ctx) } : {}),
    containers: [container(ctx, preStop, mounts)],
    volumes,
  };
}

function container(
  ctx: RenderContext,
  preStop: number,
  mounts: Record<string, unknown>[],
): Record<string, unknown> {
  const { spec } = ctx;
  const sc = spec.securityContext ?? {};
  const env = Object.entries(spec.env ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value }));
  const envFrom = (spec.secrets ?? [])
    .filter((s) => s.env !== false)
    .map((s) => ({ secretRef: { name: ctx.names.secret(s.name) } }));
  const lifecycle: Record<string, unknown> = {};
  if (spec.warmup) lifecycle.postStart = { exec: { command: spec.warmup.command } };
  if (preStop > 0) lifecycle.preStop = { sleep: { seconds: preStop } };
  const health = spec.health ?? {};
  return {
    name: ctx.names.app,
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
    ...(spec.resources ? { resources: resources(spec.resources) } : {}),
    ...(health.readiness ? { readinessProbe: probe(ctx, health.readiness, "health.readiness") } : {}),
    ...(health.liveness ? { livenessProbe: probe(ctx, health.liveness, "health.liveness") } : {}),
    ...(health.startup ? { startupProbe: probe(ctx, health.startup, "health.startup") } : {}),
    ...(Object.keys(lifecycle).length ? { lifecycle } : {}),
    securityContext: {
      allowPrivilegeEscalation: sc.allowPrivilegeEscalation ?? false,
      privileged: false,
      readOnlyRootFilesystem: sc.readOnlyRootFilesystem ?? true,
      runAsNonRoot: sc.runAsNonRoot ?? true,
      capabilities: { drop: ["ALL"], ...(sc.addCapabilities?.length ? { add: sc.addCapabilities } : {}) },
    },
    volumeMounts: mounts,
  };
}

function resources(r: NonNullable<AppSpec["resources"]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r.requests && Object.keys(r.requests).length) out.requests = { ...r.requests };
  if (r.limits && Object.keys(r.limits).length) out.limits = { ...r.limits };
  return out;
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

function spread(ctx: RenderContext): Record<string, unknown>[] {
  const selector = { matchLabels: { ...ctx.labels.selector } };
  const byNode = {
    maxSkew: 1,
    topologyKey: "kubernetes.io/hostname",
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector: selector,
  };
  if (!ctx.target.production) return [byNode];
  const byZone = {
    maxSkew: 1,
    topologyKey: "topology.kubernetes.io/zone",
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector: selector,
  };
  return [byNode, byZone];
}
