/**
 * Where Prometheus scrapes the app (`metrics`): `prometheus.io/*` annotations on the pods for
 * annotation-based discovery, a ServiceMonitor where the platform file says the cluster has the
 * CRD (`clusters[].capabilities.serviceMonitor`), and an opening in the app's NetworkPolicy for
 * the monitoring namespace — without it the default policy silently drops every scrape.
 */
import type { KubeObject } from "../core/kube-object.ts";
import { metadata, type RenderContext, RenderProblem, resolvePort } from "./context.ts";

type Json = Record<string, unknown>;

function metricsPort(ctx: RenderContext): { name: string; port: number; protocol: string } | undefined {
  const m = ctx.spec.metrics;
  if (!m) return undefined;
  const { name, port } = resolvePort(ctx, m.port, "metrics.port");
  const protocol = ctx.spec.ports?.find((p) => p.name === name)?.protocol ?? "TCP";
  if (protocol !== "TCP")
    throw new RenderProblem("metrics.port", `port ${name} is ${protocol}; Prometheus scrapes over TCP`);
  return { name, port, protocol };
}

export function metricsAnnotations(ctx: RenderContext): Record<string, string> {
  const port = metricsPort(ctx);
  if (!port) return {};
  return {
    "prometheus.io/scrape": "true",
    "prometheus.io/port": String(port.port),
    "prometheus.io/path": ctx.spec.metrics?.path ?? "/metrics",
  };
}

export function serviceMonitor(ctx: RenderContext): KubeObject | undefined {
  const port = metricsPort(ctx);
  const cluster = ctx.platform.clusters.find((c) => c.name === ctx.target.cluster);
  if (!port || cluster?.capabilities?.serviceMonitor !== true) return undefined;
  const declared = ctx.spec.ports?.find((p) => p.name === port.name);
  if (declared?.expose === false) {
    throw new RenderProblem(
      "metrics.port",
      `a ServiceMonitor scrapes through the Service, and port ${port.name} has expose: false; expose it`,
    );
  }
  const m = ctx.spec.metrics!;
  const meta = metadata(ctx, ctx.names.app);
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { ...meta, labels: { ...ctx.platform.monitoring?.serviceMonitorLabels, ...meta.labels } },
    spec: {
      selector: { matchLabels: { ...ctx.labels.selector } },
      endpoints: [
        { port: port.name, path: m.path ?? "/metrics", ...(m.interval ? { interval: m.interval } : {}) },
      ],
    },
  };
}

/** The NetworkPolicy rule that lets the monitoring namespace reach the metrics port. */
export function monitoringIngress(ctx: RenderContext): Json | undefined {
  const port = metricsPort(ctx);
  if (!port) return undefined;
  const ns = ctx.platform.monitoring?.namespace;
  return {
    from: [
      ns
        ? { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } }
        : { namespaceSelector: { matchLabels: { "slipway.dev/monitoring": "true" } } },
    ],
    ports: [{ port: port.name, protocol: port.protocol }],
  };
}

/** A structural check of a ServiceMonitor (no OpenAPI model ships for the CRD). */
export function serviceMonitorProblems(o: KubeObject): string[] {
  const spec = o.spec as { selector?: unknown; endpoints?: { port?: unknown }[] } | undefined;
  const out: string[] = [];
  if (typeof spec?.selector !== "object") out.push("/spec/selector is required");
  if (!Array.isArray(spec?.endpoints) || spec.endpoints.some((e) => typeof e.port !== "string"))
    out.push("/spec/endpoints must list endpoints with a port name");
  return out.map((m) => `ServiceMonitor/${o.metadata.namespace}/${o.metadata.name}: ${m}`);
}
