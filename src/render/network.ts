/** Service, Ingress or Gateway API HTTPRoute, and the NetworkPolicy that lets in only routes and callers. */
import type { KubeObject } from "../core/kube-object.ts";
import { metadata, type RenderContext, RenderProblem, RenderProblems } from "./context.ts";
import { hostRefusal } from "./hosts.ts";
import { LABEL } from "./labels.ts";
import { monitoringIngress } from "./monitoring.ts";
import { dnsLabel } from "./names.ts";
import { duplicatePaths, routeBackend } from "./route-checks.ts";

export function service(ctx: RenderContext): KubeObject | undefined {
  const ports = (ctx.spec.ports ?? []).filter((p) => p.expose !== false);
  if (ports.length === 0) return undefined;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(ctx, ctx.names.app),
    spec: {
      type: "ClusterIP",
      selector: { ...ctx.labels.selector },
      ports: ports.map((p) => ({
        name: p.name,
        port: p.servicePort ?? p.port,
        targetPort: p.name,
        protocol: p.protocol ?? "TCP",
        ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
      })),
    },
  };
}

interface ResolvedRoute {
  host: string;
  paths: string[];
  port: { name: string; port: number };
  /** The Service of the process the route reaches. */
  service: string;
  tlsSecret?: string;
}

function resolveRoutes(ctx: RenderContext): ResolvedRoute[] {
  const refused = (ctx.spec.routes ?? []).flatMap((r, i) => {
    // A default host is checked too: an app named after another channel's subdomain would take
    // that domain's apex.
    const host = r.host ?? ctx.target.defaultHost;
    const why = host === undefined ? undefined : hostRefusal(ctx, host);
    return why ? [new RenderProblem(`routes[${i}].host`, why)] : [];
  });
  if (refused.length > 0) throw new RenderProblems(refused);
  const resolved = (ctx.spec.routes ?? []).map((r, i): ResolvedRoute => {
    const host = r.host ?? ctx.target.defaultHost;
    if (!host) {
      throw new RenderProblem(
        `routes[${i}].host`,
        `needs a host: the target ${ctx.target.name} has no domain in the platform file (set host, or a domain on the channel)`,
      );
    }
    const { service, port } = routeBackend(ctx, r, i);
    const tlsSecret =
      r.tls === true
        ? dnsLabel(`${host.replace(/^\*\./, "wildcard.").replace(/\./g, "-")}-tls`, 253)
        : r.tls
          ? r.tls.secretName
          : undefined;
    return { host, paths: r.paths ?? ["/"], port, service, ...(tlsSecret ? { tlsSecret } : {}) };
  });
  const duplicates = duplicatePaths(resolved);
  if (duplicates.length > 0) throw new RenderProblems(duplicates);
  return resolved;
}

export function routes(ctx: RenderContext): KubeObject | undefined {
  const resolved = resolveRoutes(ctx);
  if (resolved.length === 0) return undefined;
  const routing = ctx.platform.routing ?? {};
  if (routing.kind === "gateway") return httpRoute(ctx, resolved);
  const tls = resolved.filter((r) => r.tlsSecret);
  const annotations: Record<string, string> = {};
  if (tls.length && routing.tlsIssuer) annotations["cert-manager.io/cluster-issuer"] = routing.tlsIssuer;
  // One rule per host, paths in the order written; hosts merge when several routes share one.
  const byHost = new Map<string, { path: string; port: string; service: string }[]>();
  for (const r of resolved) {
    const list = byHost.get(r.host) ?? [];
    for (const path of r.paths) list.push({ path, port: r.port.name, service: r.service });
    byHost.set(r.host, list);
  }
  const tlsBySecret = new Map<string, string[]>();
  for (const r of tls) tlsBySecret.set(r.tlsSecret!, [...(tlsBySecret.get(r.tlsSecret!) ?? []), r.host]);
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: metadata(ctx, ctx.names.app, annotations),
    spec: {
      ...(routing.ingressClassName ? { ingressClassName: routing.ingressClassName } : {}),
      rules: [...byHost].map(([host, paths]) => ({
        host,
        http: {
          paths: paths.map((p) => ({
            path: p.path,
            pathType: "Prefix",
            backend: { service: { name: p.service, port: { name: p.port } } },
          })),
        },
      })),
      ...(tlsBySecret.size
        ? { tls: [...tlsBySecret].map(([secretName, hosts]) => ({ hosts: [...new Set(hosts)], secretName })) }
        : {}),
    },
  };
}

function httpRoute(ctx: RenderContext, resolved: ResolvedRoute[]): KubeObject {
  const gateway = ctx.platform.routing?.gateway;
  if (!gateway)
    throw new RenderProblem(
      "routes",
      "the platform routes through a Gateway but names none (routing.gateway in the platform file)",
    );
  resolved.forEach((r, i) => {
    if (r.tlsSecret && ctx.spec.routes?.[i]?.tls !== true) {
      throw new RenderProblem(
        `routes[${i}].tls.secretName`,
        "with Gateway API routing, certificates belong to the Gateway's listeners; use tls: true",
      );
    }
  });
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: metadata(ctx, ctx.names.app),
    spec: {
      parentRefs: [{ name: gateway.name, namespace: gateway.namespace }],
      hostnames: [...new Set(resolved.map((r) => r.host))],
      rules: resolved.map((r) => ({
        matches: r.paths.map((path) => ({ path: { type: "PathPrefix", value: path } })),
        backendRefs: [{ name: r.service, port: r.port.port }],
      })),
    },
  };
}

export function networkPolicy(ctx: RenderContext): KubeObject | undefined {
  const np = ctx.spec.networkPolicy ?? {};
  if (np.enabled === false) return undefined;
  const ports = (ctx.spec.ports ?? []).filter((p) => p.expose !== false);
  const portList = ports.map((p) => ({ port: p.name, protocol: p.protocol ?? "TCP" }));
  const ingress: Record<string, unknown>[] = [];
  const routed = (ctx.spec.routes ?? []).length > 0;
  const controller = ctx.platform.routing?.controllerNamespace;
  if (routed && ports.length) {
    ingress.push({
      from: [
        controller
          ? { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": controller } } }
          : { namespaceSelector: { matchLabels: { "slipway.dev/ingress": "true" } } },
      ],
      ports: portList,
    });
  }
  const callers = [...new Set(np.callers ?? [])].sort();
  if (callers.length && ports.length) {
    ingress.push({
      from: [
        {
          namespaceSelector: {},
          podSelector: {
            matchExpressions: [
              { key: LABEL.name, operator: "In", values: callers },
              { key: LABEL.target, operator: "In", values: [ctx.target.name] },
            ],
          },
        },
      ],
      ports: portList,
    });
  }
  const scrape = monitoringIngress(ctx);
  if (scrape) ingress.push(scrape);
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata(ctx, ctx.names.app),
    spec: { podSelector: { matchLabels: { ...ctx.labels.selector } }, policyTypes: ["Ingress"], ingress },
  };
}
