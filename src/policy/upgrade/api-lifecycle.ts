/**
 * Deprecated and removed Kubernetes API versions: the one table Slipway's upgrade readiness reads.
 *
 * Source: the Kubernetes "Deprecated API Migration Guide"
 * (https://kubernetes.io/docs/reference/using-api/deprecation-guide/), "Removed APIs by release",
 * v1.16 through v1.32, with the deprecation releases from the API server's own deprecation warnings
 * ("<group/version> <Kind> is deprecated in v1.X+, unavailable in v1.Y+"). Checked through v1.37:
 * the guide schedules no further removals of API versions up to v1.37; the later entries below are
 * deprecations announced by the project (v1 Endpoints in v1.33, with no removal planned, since a
 * GA version is never removed within v1; resource.k8s.io/v1beta1 deprecated in v1.35 and
 * unavailable from v1.38). When a new release updates the guide, add rows here and nowhere else.
 */

export interface ApiLifecycle {
  /** `group/version` as written in `apiVersion`. */
  readonly apiVersion: string;
  readonly kinds: readonly string[];
  /** Release that deprecated it (`1.22`). */
  readonly deprecatedIn: string;
  /** Release that stops serving it; absent when no removal is scheduled. */
  readonly removedIn?: string;
  /** What to migrate to (`group/version`), or a short instruction when there is no successor. */
  readonly replacement: string;
}

export const apiLifecycle: readonly ApiLifecycle[] = [
  // v1.16
  {
    apiVersion: "extensions/v1beta1",
    kinds: ["Deployment", "DaemonSet", "ReplicaSet"],
    deprecatedIn: "1.9",
    removedIn: "1.16",
    replacement: "apps/v1",
  },
  {
    apiVersion: "apps/v1beta1",
    kinds: ["Deployment", "StatefulSet", "ReplicaSet"],
    deprecatedIn: "1.9",
    removedIn: "1.16",
    replacement: "apps/v1",
  },
  {
    apiVersion: "apps/v1beta2",
    kinds: ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"],
    deprecatedIn: "1.9",
    removedIn: "1.16",
    replacement: "apps/v1",
  },
  {
    apiVersion: "extensions/v1beta1",
    kinds: ["NetworkPolicy"],
    deprecatedIn: "1.9",
    removedIn: "1.16",
    replacement: "networking.k8s.io/v1",
  },
  {
    apiVersion: "extensions/v1beta1",
    kinds: ["PodSecurityPolicy"],
    deprecatedIn: "1.11",
    removedIn: "1.16",
    replacement: "policy/v1beta1",
  },
  // v1.22
  {
    apiVersion: "admissionregistration.k8s.io/v1beta1",
    kinds: ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"],
    deprecatedIn: "1.16",
    removedIn: "1.22",
    replacement: "admissionregistration.k8s.io/v1",
  },
  {
    apiVersion: "apiextensions.k8s.io/v1beta1",
    kinds: ["CustomResourceDefinition"],
    deprecatedIn: "1.16",
    removedIn: "1.22",
    replacement: "apiextensions.k8s.io/v1",
  },
  {
    apiVersion: "apiregistration.k8s.io/v1beta1",
    kinds: ["APIService"],
    deprecatedIn: "1.19",
    removedIn: "1.22",
    replacement: "apiregistration.k8s.io/v1",
  },
  {
    apiVersion: "authentication.k8s.io/v1beta1",
    kinds: ["TokenReview"],
    deprecatedIn: "1.19",
    removedIn: "1.22",
    replacement: "authentication.k8s.io/v1",
  },
  {
    apiVersion: "authorization.k8s.io/v1beta1",
    kinds: ["LocalSubjectAccessReview", "SelfSubjectAccessReview", "SubjectAccessReview"],
    deprecatedIn: "1.19",
    removedIn: "1.22",
    replacement: "authorization.k8s.io/v1",
  },
  {
    apiVersion: "certificates.k8s.io/v1beta1",
    kinds: ["CertificateSigningRequest"],
    deprecatedIn: "1.19",
    removedIn: "1.22",
    replacement: "certificates.k8s.io/v1",
  },
  {
    apiVersion: "coordination.k8s.io/v1beta1",
    kinds: ["Lease"],
    deprecatedIn: "1.19",
    removedIn: "1.22",
    replacement: "coordination.k8s.io/v1",
  },
  {
    apiVersion: "extensions/v1beta1",
    kinds: ["Ingress"],
    deprecatedIn: "1.14",
    removedIn: "1.22",
    replacement: "networking.k8s.io/v1",
  },
  {
    apiVersion: "networking.k8s.io/v1beta1",
    kinds: ["Ingress", "IngressClass"],
    deprecatedIn: "1.19",
    removedIn: "1.22",
    replacement: "networking.k8s.io/v1",
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1beta1",
    kinds: ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"],
    deprecatedIn: "1.17",
    removedIn: "1.22",
    replacement: "rbac.authorization.k8s.io/v1",
  },
  {
    apiVersion: "scheduling.k8s.io/v1beta1",
    kinds: ["PriorityClass"],
    deprecatedIn: "1.14",
    removedIn: "1.22",
    replacement: "scheduling.k8s.io/v1",
  },
  {
    apiVersion: "storage.k8s.io/v1beta1",
    kinds: ["CSIDriver", "StorageClass", "VolumeAttachment"],
    deprecatedIn: "1.19",
    removedIn: "1.22",
    replacement: "storage.k8s.io/v1",
  },
  {
    apiVersion: "storage.k8s.io/v1beta1",
    kinds: ["CSINode"],
    deprecatedIn: "1.17",
    removedIn: "1.22",
    replacement: "storage.k8s.io/v1",
  },
  // v1.25
  {
    apiVersion: "batch/v1beta1",
    kinds: ["CronJob"],
    deprecatedIn: "1.21",
    removedIn: "1.25",
    replacement: "batch/v1",
  },
  {
    apiVersion: "discovery.k8s.io/v1beta1",
    kinds: ["EndpointSlice"],
    deprecatedIn: "1.21",
    removedIn: "1.25",
    replacement: "discovery.k8s.io/v1",
  },
  {
    apiVersion: "events.k8s.io/v1beta1",
    kinds: ["Event"],
    deprecatedIn: "1.22",
    removedIn: "1.25",
    replacement: "events.k8s.io/v1",
  },
  {
    apiVersion: "autoscaling/v2beta1",
    kinds: ["HorizontalPodAutoscaler"],
    deprecatedIn: "1.22",
    removedIn: "1.25",
    replacement: "autoscaling/v2",
  },
  {
    apiVersion: "policy/v1beta1",
    kinds: ["PodDisruptionBudget"],
    deprecatedIn: "1.21",
    removedIn: "1.25",
    replacement: "policy/v1",
  },
  {
    apiVersion: "policy/v1beta1",
    kinds: ["PodSecurityPolicy"],
    deprecatedIn: "1.21",
    removedIn: "1.25",
    replacement: "none: use Pod Security Admission (namespace labels) or a policy engine",
  },
  {
    apiVersion: "node.k8s.io/v1beta1",
    kinds: ["RuntimeClass"],
    deprecatedIn: "1.22",
    removedIn: "1.25",
    replacement: "node.k8s.io/v1",
  },
  // v1.26
  {
    apiVersion: "flowcontrol.apiserver.k8s.io/v1beta1",
    kinds: ["FlowSchema", "PriorityLevelConfiguration"],
    deprecatedIn: "1.23",
    removedIn: "1.26",
    replacement: "flowcontrol.apiserver.k8s.io/v1",
  },
  {
    apiVersion: "autoscaling/v2beta2",
    kinds: ["HorizontalPodAutoscaler"],
    deprecatedIn: "1.23",
    removedIn: "1.26",
    replacement: "autoscaling/v2",
  },
  // v1.27
  {
    apiVersion: "storage.k8s.io/v1beta1",
    kinds: ["CSIStorageCapacity"],
    deprecatedIn: "1.24",
    removedIn: "1.27",
    replacement: "storage.k8s.io/v1",
  },
  // v1.29
  {
    apiVersion: "flowcontrol.apiserver.k8s.io/v1beta2",
    kinds: ["FlowSchema", "PriorityLevelConfiguration"],
    deprecatedIn: "1.26",
    removedIn: "1.29",
    replacement: "flowcontrol.apiserver.k8s.io/v1",
  },
  // v1.32
  {
    apiVersion: "flowcontrol.apiserver.k8s.io/v1beta3",
    kinds: ["FlowSchema", "PriorityLevelConfiguration"],
    deprecatedIn: "1.29",
    removedIn: "1.32",
    replacement: "flowcontrol.apiserver.k8s.io/v1",
  },
  // Deprecated, removal after v1.37 or never
  {
    apiVersion: "v1",
    kinds: ["Endpoints"],
    deprecatedIn: "1.33",
    replacement: "discovery.k8s.io/v1 (EndpointSlice)",
  },
  {
    apiVersion: "v1",
    kinds: ["ComponentStatus"],
    deprecatedIn: "1.19",
    replacement: "none: query component health endpoints directly",
  },
  {
    apiVersion: "resource.k8s.io/v1beta1",
    kinds: ["DeviceClass", "ResourceClaim", "ResourceClaimTemplate", "ResourceSlice"],
    deprecatedIn: "1.35",
    removedIn: "1.38",
    replacement: "resource.k8s.io/v1",
  },
];

/** The newest release this table has been checked against. */
export const tableCheckedThrough = "1.37";
