/**
 * A deterministic, mixed corpus of Kubernetes objects for the policy benchmark: apps of 6–11
 * objects (Deployment or StatefulSet, Service, ConfigMap, ServiceAccount, and in turn HPA, PDB,
 * NetworkPolicy, Ingress, CronJob), five apps per namespace, with a share of hand-made mistakes
 * (latest tags, missing probes, privileged containers, broken selectors) so rules both pass and fail.
 */
type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: unknown;
};

function container(i: number): Record<string, unknown> {
  const sloppy = i % 7 === 0;
  return {
    name: "app",
    image: sloppy
      ? "nginx:latest"
      : `registry.example.com/app-${i}:1.${i % 10}.0@sha256:${(i % 16).toString(16).repeat(64)}`,
    ports: [{ name: "http", containerPort: 8080 }],
    env: [
      { name: "LOG_LEVEL", value: "info" },
      i % 11 === 0 ? { name: "DB_PASSWORD", value: "hunter2" } : { name: "DB_HOST", value: "db" },
    ],
    resources: sloppy ? {} : { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
    ...(i % 5 === 0 ? {} : { readinessProbe: { httpGet: { path: "/ready", port: "http" } } }),
    livenessProbe: { httpGet: { path: i % 9 === 0 ? "/ready" : "/healthz", port: "http" } },
    lifecycle: { preStop: { sleep: { seconds: 5 } } },
    securityContext:
      i % 13 === 0
        ? { privileged: true }
        : {
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
          },
  };
}

export function corpusApp(i: number): Obj[] {
  const name = `app-${i}`;
  const namespace = `team-${Math.floor(i / 5)}`;
  const labels = { "app.kubernetes.io/name": name, team: namespace };
  const meta = { name, namespace, labels };
  const kind = i % 6 === 0 ? "StatefulSet" : "Deployment";
  const replicas = 1 + (i % 4);
  const podSpec = {
    automountServiceAccountToken: false,
    serviceAccountName: name,
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [container(i)],
    ...(i % 8 === 0 ? { volumes: [{ name: "host", hostPath: { path: "/var/log" } }] } : {}),
  };
  const out: Obj[] = [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta, automountServiceAccountToken: false },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { ...meta, name: `${name}-config` },
      data: { "app.json": "{}" },
    },
    {
      apiVersion: "apps/v1",
      kind,
      metadata: meta,
      spec: {
        replicas,
        selector: { matchLabels: { "app.kubernetes.io/name": name } },
        template: { metadata: { labels }, spec: podSpec },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta,
      spec: {
        selector: { "app.kubernetes.io/name": i % 17 === 0 ? `${name}-typo` : name },
        ports: [{ name: "http", port: 80, targetPort: "http" }],
      },
    },
  ];
  if (i % 2 === 0) {
    out.push({
      apiVersion: i % 10 === 0 ? "autoscaling/v2beta2" : "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: meta,
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind, name },
        minReplicas: 1 + (i % 3),
        maxReplicas: 10,
        metrics: [
          {
            type: "Resource",
            resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
          },
        ],
      },
    });
  }
  if (replicas >= 2) {
    out.push({
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: meta,
      spec: {
        ...(i % 3 === 0 ? { minAvailable: replicas } : { maxUnavailable: 1 }),
        selector: { matchLabels: { "app.kubernetes.io/name": name } },
      },
    });
  }
  if (i % 3 !== 0) {
    out.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: meta,
      spec: {
        podSelector: { matchLabels: { "app.kubernetes.io/name": name } },
        policyTypes: ["Ingress"],
        ingress: [{}],
      },
    });
  }
  if (i % 4 === 1) {
    out.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: meta,
      spec: {
        rules: [
          {
            host: `${name}.example.com`,
            http: {
              paths: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name, port: { number: i % 12 === 1 ? 8080 : 80 } } },
                },
              ],
            },
          },
        ],
      },
    });
  }
  if (i % 5 === 2) {
    out.push({
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { ...meta, name: `${name}-nightly` },
      spec: {
        schedule: "0 3 * * *",
        jobTemplate: { spec: { template: { spec: { ...podSpec, restartPolicy: "OnFailure" } } } },
      },
    });
  }
  return out;
}

/** At least `count` objects, whole apps only. */
export function policyCorpus(count: number): Obj[] {
  const out: Obj[] = [];
  for (let i = 0; out.length < count; i++) out.push(...corpusApp(i));
  return out;
}
