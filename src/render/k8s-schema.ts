/**
 * Validates rendered objects against the Kubernetes OpenAPI schema of their kind and version,
 * using the validators that `kubernetes-models` generates from the upstream OpenAPI documents.
 * A renderer bug fails here, in tests and before apply, not in the cluster.
 */
import { type KubeObject, objectRef } from "../core/kube-object.ts";
import { loadModelModule } from "./k8s-model-module.ts";
import { serviceMonitorProblems } from "./monitoring.ts";

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

/**
 * Each model is loaded on first use: a model brings its whole schema graph (Deployment alone is
 * ~150 modules), and every CLI command pays for what it loads before it does anything, so an app
 * without routes through a Gateway never loads the Gateway API's (see k8s-model-module.ts).
 */
export const modelModules: Record<string, [specifier: string, name: string]> = {
  "apps/v1/Deployment": ["kubernetes-models/apps/v1/Deployment", "Deployment"],
  "apps/v1/StatefulSet": ["kubernetes-models/apps/v1/StatefulSet", "StatefulSet"],
  "batch/v1/CronJob": ["kubernetes-models/batch/v1/CronJob", "CronJob"],
  "batch/v1/Job": ["kubernetes-models/batch/v1/Job", "Job"],
  "autoscaling/v2/HorizontalPodAutoscaler": [
    "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler",
    "HorizontalPodAutoscaler",
  ],
  "networking.k8s.io/v1/Ingress": ["kubernetes-models/networking.k8s.io/v1/Ingress", "Ingress"],
  "networking.k8s.io/v1/NetworkPolicy": [
    "kubernetes-models/networking.k8s.io/v1/NetworkPolicy",
    "NetworkPolicy",
  ],
  "policy/v1/PodDisruptionBudget": ["kubernetes-models/policy/v1/PodDisruptionBudget", "PodDisruptionBudget"],
  "v1/ConfigMap": ["kubernetes-models/v1/ConfigMap", "ConfigMap"],
  "v1/PersistentVolumeClaim": ["kubernetes-models/v1/PersistentVolumeClaim", "PersistentVolumeClaim"],
  "rbac.authorization.k8s.io/v1/Role": ["kubernetes-models/rbac.authorization.k8s.io/v1/Role", "Role"],
  "rbac.authorization.k8s.io/v1/RoleBinding": [
    "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding",
    "RoleBinding",
  ],
  "rbac.authorization.k8s.io/v1/ClusterRole": [
    "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole",
    "ClusterRole",
  ],
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": [
    "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding",
    "ClusterRoleBinding",
  ],
  "gateway.networking.k8s.io/v1/GRPCRoute": [
    "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GRPCRoute",
    "GRPCRoute",
  ],
  "v1/Namespace": ["kubernetes-models/v1/Namespace", "Namespace"],
  "v1/Secret": ["kubernetes-models/v1/Secret", "Secret"],
  "v1/Service": ["kubernetes-models/v1/Service", "Service"],
  "v1/ServiceAccount": ["kubernetes-models/v1/ServiceAccount", "ServiceAccount"],
  "gateway.networking.k8s.io/v1/HTTPRoute": [
    "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute",
    "HTTPRoute",
  ],
};
const loaded = new Map<string, ModelClass>();

function modelFor(key: string): ModelClass | undefined {
  const known = loaded.get(key);
  if (known) return known;
  const entry = modelModules[key];
  if (!entry) return undefined;
  const [specifier, name] = entry;
  const Model = loadModelModule(specifier)[name] as ModelClass | undefined;
  if (!Model) throw new Error(`${specifier} exports no ${name}`);
  loaded.set(key, Model);
  return Model;
}

/** No OpenAPI model ships for the Prometheus Operator's CRD: its shape is checked by hand. */
function isServiceMonitor(object: KubeObject): boolean {
  return object.apiVersion === "monitoring.coreos.com/v1" && object.kind === "ServiceMonitor";
}

/** True when `schemaProblems` can check the object's kind (it is not a custom resource unknown here). */
export function hasSchema(object: KubeObject): boolean {
  return `${object.apiVersion}/${object.kind}` in modelModules || isServiceMonitor(object);
}

/** Problems of one object, as `Kind/ns/name: /json/path message` lines; empty when valid. */
export function schemaProblems(object: KubeObject): string[] {
  if (isServiceMonitor(object)) return serviceMonitorProblems(object);
  const Model = modelFor(`${object.apiVersion}/${object.kind}`);
  if (!Model) return [`${objectRef(object)}: no schema known for ${object.apiVersion} ${object.kind}`];
  try {
    new Model(object as never).validate();
    return [];
  } catch (error) {
    // kubernetes-models throws a ValidationError whose ajv errors are in `errors`.
    const details = (error as { errors?: { instancePath: string; message?: string }[] }).errors;
    if (!details) throw error;
    return details.map((d) => `${objectRef(object)}: ${d.instancePath || "/"} ${d.message ?? "is invalid"}`);
  }
}
