/**
 * Hints for the fields people bring from Kubernetes manifests and Helm values: `containerPort`
 * is `port` here, `replicaCount` is `replicas`, a `valueFrom` is written without it. A field that
 * Slipway has under no name says so, and names the escape hatch (a patch of the rendered object)
 * with the patch to write.
 *
 * To add a field: one row in RENAMES (where it appears → what Slipway calls it), or its name in
 * POD_FIELDS / CONTAINER_FIELDS when Slipway does not model it.
 */
import { isPlainMap } from "./merge.ts";
import { closest } from "./suggest.ts";
import type { FieldPath } from "./yaml-source.ts";

interface Rename {
  /** The field holding the foreign key: `""` for the top of slipway.yaml (or of a process), `*` anywhere. */
  readonly under: string;
  readonly hint: string;
}

const top = (hint: string): Rename => ({ under: "", hint });

/** Foreign key → where it is met and what to write instead. */
const RENAMES: Readonly<Record<string, readonly Rename[]>> = {
  containerPort: [
    { under: "ports", hint: "Slipway calls the container's port `port`: { name: http, port: 8080 }" },
  ],
  targetPort: [
    {
      under: "ports",
      hint: "`port` is the container's port; `servicePort` is the Service's when it differs: { name: http, port: 8080, servicePort: 80 }",
    },
  ],
  nodePort: [
    {
      under: "ports",
      hint: "Slipway's Services are ClusterIP and reached through routes; for a NodePort, patch the Service (patches:)",
    },
  ],
  replicaCount: [top("Slipway calls it `replicas`")],
  targetCPUUtilizationPercentage: [{ under: "autoscaling", hint: "Slipway calls it `cpu`: cpu: 70" }],
  targetMemoryUtilizationPercentage: [
    { under: "autoscaling", hint: "Slipway calls it `memory`: memory: 80" },
  ],
  minReplicaCount: [{ under: "autoscaling", hint: "Slipway calls it `minReplicas`" }],
  maxReplicaCount: [{ under: "autoscaling", hint: "Slipway calls it `maxReplicas`" }],
  enabled: [
    {
      under: "autoscaling",
      hint: "autoscaling is on where it is written; turn it off in an environment with `autoscaling: null`",
    },
  ],
  livenessProbe: [top("write it under health: health: { liveness: { http: { path: /healthz } } }")],
  readinessProbe: [top("write it under health: health: { readiness: { http: { path: /ready } } }")],
  startupProbe: [top("write it under health: health: { startup: { http: { path: /healthz } } }")],
  httpGet: [{ under: "*", hint: "Slipway calls it `http`: { http: { path: /ready, port: http } }" }],
  tcpSocket: [{ under: "*", hint: "Slipway calls it `tcp`: { tcp: { port: http } }" }],
  imagePullPolicy: [top("write it under image: image: { repository: …, pullPolicy: IfNotPresent }")],
  podAnnotations: [top("Slipway calls it `annotations` (on the workloads and their pods)")],
  podLabels: [top("Slipway calls it `labels` (on every object)")],
  commonLabels: [top("Slipway calls it `labels` (on every object)")],
  serviceAccountName: [top("write serviceAccount: { name: … }")],
  ingress: [top("Slipway calls them `routes`: routes: [{ host: …, paths: [/] }]")],
  service: [
    top("the Service follows `ports`: each port is in it unless expose: false; servicePort sets its number"),
  ],
  nodeSelector: [top("write it under placement: placement: { nodeSelector: { … } }")],
  tolerations: [top("write it under placement: placement: { tolerations: [ … ] }")],
  affinity: [top("write it under placement: placement: { affinity: { … } }")],
  topologySpreadConstraints: [top("write it under placement: placement: { topologySpread: … }")],
  podSecurityContext: [top("Slipway calls it `securityContext` (one for the pod and its containers)")],
  containerSecurityContext: [top("Slipway calls it `securityContext` (one for the pod and its containers)")],
  lifecycle: [
    top("postStart is `warmup: { command: [ … ] }`; preStop is `shutdown: { preStopDelaySeconds: 5 }`"),
  ],
  terminationGracePeriodSeconds: [
    top("write it under shutdown: shutdown: { terminationGracePeriodSeconds: 30 }"),
  ],
  strategy: [top("write it under rollout: rollout: { strategy: Recreate }")],
  minReadySeconds: [top("write it under rollout: rollout: { minReadySeconds: 10 }")],
  revisionHistoryLimit: [top("write it under rollout: rollout: { revisionHistoryLimit: 5 }")],
  progressDeadlineSeconds: [top("write it under rollout: rollout: { progressDeadlineSeconds: 600 }")],
  volumeMounts: [
    top("a volume says where it is mounted: volumes: [{ name: data, mountPath: /data, emptyDir: {} }]"),
  ],
  extraEnv: [top("Slipway calls it `env`: a map of NAME: value")],
  extraEnvVars: [top("Slipway calls it `env`: a map of NAME: value")],
  extraEnvFrom: [top("Slipway calls it `envFrom`")],
  extraVolumes: [top("Slipway calls it `volumes`, each with its mountPath")],
  extraVolumeMounts: [top("Slipway calls it `volumes`, each with its mountPath")],
  extraContainers: [top("Slipway calls them `sidecars`")],
  sidecarContainers: [top("Slipway calls them `sidecars`")],
  extraInitContainers: [top("Slipway calls them `initContainers`")],
  extraManifests: [top("Slipway calls them `manifests`: a map of name → Kubernetes object")],
  extraObjects: [top("Slipway calls them `manifests`: a map of name → Kubernetes object")],
  extraDeploy: [top("Slipway calls them `manifests`: a map of name → Kubernetes object")],
  hpa: [top("Slipway calls it `autoscaling`")],
  pdb: [top("Slipway calls it `disruptionBudget`")],
  podDisruptionBudget: [top("Slipway calls it `disruptionBudget`")],
  serviceMonitor: [top("Slipway calls it `metrics`: metrics: { port: metrics }")],
  configMap: [top("config files are `configFiles: [{ path: /etc/app/config.yaml, content: … }]`")],
  configmap: [top("config files are `configFiles: [{ path: /etc/app/config.yaml, content: … }]`")],
  cpu: [top("write it under resources: resources: { requests: { cpu: 250m } }")],
  memory: [top("write it under resources: resources: { requests: { memory: 256Mi } }")],
  limits: [top("write it under resources: resources: { limits: { memory: 512Mi } }")],
  requests: [top("write it under resources: resources: { requests: { cpu: 250m } }")],
  value: [{ under: "env", hint: "write the value itself: NAME: value" }],
};

/** Pod spec fields Slipway does not model: a strategic merge patch of the pod template sets them. */
const POD_FIELDS = new Set([
  "hostNetwork",
  "hostPID",
  "hostIPC",
  "hostUsers",
  "hostAliases",
  "hostname",
  "subdomain",
  "setHostnameAsFQDN",
  "dnsPolicy",
  "dnsConfig",
  "priorityClassName",
  "preemptionPolicy",
  "runtimeClassName",
  "schedulerName",
  "shareProcessNamespace",
  "enableServiceLinks",
  "readinessGates",
  "activeDeadlineSeconds",
  "overhead",
  "os",
  "resourceClaims",
  "schedulingGates",
]);

/** Container fields Slipway does not model. */
const CONTAINER_FIELDS = new Set([
  "workingDir",
  "stdin",
  "stdinOnce",
  "tty",
  "terminationMessagePath",
  "terminationMessagePolicy",
  "volumeDevices",
  "resizePolicy",
]);

export interface FieldHintOptions {
  /** The keys allowed where the foreign one stands. */
  readonly allowed: readonly string[];
  /** The value under the foreign key. */
  readonly value?: unknown;
  /** The file has the escape hatch (slipway.yaml, an override, platform defaults). */
  readonly escapeHatch: boolean;
}

/** The hint for an unknown key `key` in the map at `path`. */
export function fieldHint(key: string, path: FieldPath, options: FieldHintOptions): string {
  if (key === "valueFrom") return valueFromHint(options.value);
  const under = lastField(path);
  const renames = Object.hasOwn(RENAMES, key) ? RENAMES[key] : undefined;
  const rename = renames?.find((r) => r.under === "*" || r.under === under);
  if (rename) return rename.hint;
  const guess = closest(key, options.allowed);
  if (guess) return `did you mean \`${guess}\`?`;
  if (!options.escapeHatch) return `allowed here: ${options.allowed.join(", ")}`;
  if ((under === "limits" || under === "requests") && options.allowed.includes("cpu"))
    return `Slipway's resources are cpu and memory; for ${key}, patch the container: ${patchExample({ containers: [{ name: "<app>", resources: { [under]: { [key]: "1" } } }] })}`;
  const patch = POD_FIELDS.has(key)
    ? ` such as ${patchExample({ [key]: "…" })}`
    : CONTAINER_FIELDS.has(key)
      ? ` such as ${patchExample({ containers: [{ name: "<app>", [key]: "…" }] })}`
      : "";
  return `Slipway has no \`${key}\` here (it has: ${options.allowed.join(", ")}); what Slipway does not model goes in a patch of the rendered object under \`patches:\`${patch}`;
}

/**
 * Kubernetes' `valueFrom` turned into Slipway's reference, from what was written:
 * `valueFrom: { secretKeyRef: { name: db, key: password } }` → `{ secret: db, key: password }`.
 */
export function valueFromHint(value: unknown): string {
  const general =
    "Slipway writes a reference without valueFrom: { secret: <name>, key: <key> }, { configMap: <name>, key: <key> }, { field: status.podIP } or { resource: limits.memory }";
  if (!isPlainMap(value)) return general;
  const [kind, ref] = Object.entries(value)[0] ?? [];
  if (!isPlainMap(ref)) return general;
  const pick = (entries: [string, unknown][]) =>
    `write it as ${flow(Object.fromEntries(entries.filter(([, v]) => v !== undefined)))}`;
  switch (kind) {
    case "secretKeyRef":
      return pick([
        ["secret", ref.name],
        ["key", ref.key],
        ["optional", ref.optional],
      ]);
    case "configMapKeyRef":
      return pick([
        ["configMap", ref.name],
        ["key", ref.key],
        ["optional", ref.optional],
      ]);
    case "fieldRef":
      return pick([["field", ref.fieldPath]]);
    case "resourceFieldRef":
      return pick([
        ["resource", ref.resource],
        ["divisor", ref.divisor],
      ]);
    default:
      return general;
  }
}

/** Kubernetes' list form of env, `[{ name: A, value: b }]`, written as Slipway's map. */
export function envListHint(value: unknown): string | undefined {
  if (!Array.isArray(value) || !value.every((e) => isPlainMap(e) && typeof e.name === "string"))
    return undefined;
  const entries = (value as Record<string, unknown>[]).slice(0, 3).map((e) => {
    if (isPlainMap(e.valueFrom))
      return `${e.name}: ${valueFromHint(e.valueFrom).replace(/^write it as /, "")}`;
    return `${e.name}: ${JSON.stringify(e.value ?? "")}`;
  });
  return `env is a map of NAME: value here, not Kubernetes' list: { ${entries.join(", ")}${value.length > 3 ? ", …" : ""} }`;
}

function patchExample(podSpec: Record<string, unknown>): string {
  return flow({
    "<name>": { target: { kind: "Deployment" }, strategicMerge: { spec: { template: { spec: podSpec } } } },
  });
}

/** A value as one line of YAML flow style. */
function flow(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flow).join(", ")}]`;
  if (isPlainMap(value))
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k}: ${flow(v)}`)
      .join(", ")} }`;
  return String(value);
}

/** Maps whose entries are parts with the app's own fields (a process is an app in small). */
const PART_MAPS = new Set(["processes", "cronJobs", "jobs"]);

/** The field that holds the map at `path`: `ports` for ports[0], `env` for env.A, `""` at a top. */
function lastField(path: FieldPath): string {
  for (let i = path.length - 1; i >= 0; i--) {
    const segment = path[i];
    if (typeof segment !== "string") continue;
    const parent = path[i - 1];
    if (parent !== undefined && PART_MAPS.has(String(parent))) return "";
    return parent === "env" ? "env" : segment;
  }
  return "";
}
