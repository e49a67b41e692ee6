/**
 * Validates rendered objects against the Kubernetes OpenAPI schema of their kind and version,
 * using the validators that `kubernetes-models` generates from the upstream OpenAPI documents.
 * A renderer bug fails here, in tests and before apply, not in the cluster.
 */
import { HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { type KubeObject, objectRef } from "../core/kube-object.ts";

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

const models: Record<string, ModelClass> = {
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "networking.k8s.io/v1/Ingress": Ingress,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "v1/ConfigMap": ConfigMap,
  "v1/Namespace": Namespace,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "gateway.networking.k8s.io/v1/HTTPRoute": HTTPRoute as unknown as ModelClass,
};

/** Problems of one object, as `Kind/ns/name: /json/path message` lines; empty when valid. */
export function schemaProblems(object: KubeObject): string[] {
  const Model = models[`${object.apiVersion}/${object.kind}`];
  if (!Model) return [`${objectRef(object)}: no schema known for ${object.apiVersion} ${object.kind}`];
  try {
    new Model(object as never).validate();
    return [];
  } catch (error) {
    const details = (error as { details?: { instancePath: string; message?: string }[] }).details;
    if (!details) throw error;
    return details.map((d) => `${objectRef(object)}: ${d.instancePath || "/"} ${d.message ?? "is invalid"}`);
  }
}
