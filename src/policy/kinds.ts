/** Facts about kinds that rules need without a cluster to ask (no discovery in a pure module). */

/** A rule whose `kinds` contains this runs on every object. */
export const anyKind = "*";

const clusterScoped = new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "StorageClass",
  "CSIDriver",
  "CSINode",
  "VolumeAttachment",
  "PriorityClass",
  "RuntimeClass",
  "IngressClass",
  "GatewayClass",
  "CustomResourceDefinition",
  "APIService",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "MutatingAdmissionPolicy",
  "MutatingAdmissionPolicyBinding",
  "CertificateSigningRequest",
  "FlowSchema",
  "PriorityLevelConfiguration",
  "PodSecurityPolicy",
  "ComponentStatus",
  "DeviceClass",
  "ResourceSlice",
  "VolumeAttributesClass",
  "IPAddress",
  "ServiceCIDR",
  "TokenReview",
  "SelfSubjectAccessReview",
  "SelfSubjectRulesReview",
  "SubjectAccessReview",
  "SelfSubjectReview",
]);

/** Built-in cluster-scoped kinds, plus the `Cluster*` naming convention (ClusterRole, ClusterIssuer…). */
export function isClusterScoped(kind: string): boolean {
  return clusterScoped.has(kind) || kind.startsWith("Cluster") || kind === "List";
}
