/**
 * Builders for the objects in rule examples and tests. `goodApp()` is a small app that passes
 * every built-in rule in a production context; each rule's examples start from it and break one
 * thing, so a failing example fails for exactly the reason the rule names.
 */
import type { KubeObject } from "../core/kube-object.ts";
import type { Json } from "./access.ts";

export const namespace = "shop";
export const labels = { "app.kubernetes.io/name": "web", team: "payments" };
export const digest = `sha256:${"ab12".repeat(16)}`;
export const pinnedImage = `registry.example.com/shop/web:1.4.2@${digest}`;

export function goodContainer(name = "app"): Json {
  return {
    name,
    image: pinnedImage,
    imagePullPolicy: "IfNotPresent",
    ports: [{ name: "http", containerPort: 8080 }],
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
    readinessProbe: { httpGet: { path: "/ready", port: "http" }, periodSeconds: 5 },
    livenessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 10 },
    lifecycle: { preStop: { sleep: { seconds: 5 } } },
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
  };
}

export function goodPodSpec(containers: Json[] = [goodContainer()]): Json {
  return {
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    terminationGracePeriodSeconds: 30,
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: { "app.kubernetes.io/name": "web" } },
      },
    ],
    containers,
  };
}

export function deployment(name = "web", replicas = 2, podSpec: Json = goodPodSpec()): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels: { ...labels } },
    spec: {
      replicas,
      selector: { matchLabels: { "app.kubernetes.io/name": "web" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
      template: { metadata: { labels: { ...labels } }, spec: podSpec },
    },
  };
}

export function service(name = "web", selector: Json = { "app.kubernetes.io/name": "web" }): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace, labels: { ...labels } },
    spec: { selector, ports: [{ name: "http", port: 80, targetPort: "http" }] },
  };
}

export function pdb(name = "web", budget: Json = { maxUnavailable: 1 }): KubeObject {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name, namespace, labels: { ...labels } },
    spec: { ...budget, selector: { matchLabels: { "app.kubernetes.io/name": "web" } } },
  };
}

export function networkPolicy(name = "web"): KubeObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace, labels: { ...labels } },
    spec: {
      podSelector: { matchLabels: { "app.kubernetes.io/name": "web" } },
      policyTypes: ["Ingress"],
      ingress: [{ ports: [{ port: 8080 }] }],
    },
  };
}

export function hpa(name = "web", target = "web", min = 2, max = 6): KubeObject {
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name, namespace, labels: { ...labels } },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target },
      minReplicas: min,
      maxReplicas: max,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
        },
      ],
    },
  };
}

export function ingress(name = "web", serviceName = "web", port: Json = { name: "http" }): KubeObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name, namespace, labels: { ...labels } },
    spec: {
      rules: [
        {
          host: "web.example.com",
          http: {
            paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: serviceName, port } } }],
          },
        },
      ],
    },
  };
}

export function httpRoute(name = "web", serviceName = "web", port = 80): KubeObject {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name, namespace, labels: { ...labels } },
    spec: { parentRefs: [{ name: "public" }], rules: [{ backendRefs: [{ name: serviceName, port }] }] },
  };
}

/** A whole app that passes every built-in rule, also in a production context. */
export function goodApp(): KubeObject[] {
  return [deployment(), service(), pdb(), networkPolicy(), hpa(), ingress(), httpRoute()];
}

/** A deep copy of `o` changed by `edit`; examples break one field of a good object this way. */
export function changed<T extends KubeObject>(o: T, edit: (copy: T & Json) => void): T {
  const copy = structuredClone(o) as T & Json;
  edit(copy);
  return copy;
}

/** The first app container of a Deployment built by `deployment()`, for `changed` edits. */
export function firstContainer(d: Json): Json {
  return ((d.spec as Json).template as { spec: { containers: Json[] } }).spec.containers[0] as Json;
}

export function podSpecOf(d: Json): Json {
  return ((d.spec as Json).template as { spec: Json }).spec;
}
