/**
 * The built-in rule catalog: every file in `rules/`, one rule each, listed here once. Order is
 * the order of the generated documentation; IDs are stable and never reused.
 */
import { allowedCapabilities } from "./rules/allowed-capabilities.ts";
import { apiDeprecated } from "./rules/api-deprecated.ts";
import { apiRemoved } from "./rules/api-removed.ts";
import { containerMemoryLimit } from "./rules/container-memory-limit.ts";
import { containerRequests } from "./rules/container-requests.ts";
import { dropAllCapabilities } from "./rules/drop-all-capabilities.ts";
import { envNoSecretLiterals } from "./rules/env-no-secret-literals.ts";
import { gracefulShutdown } from "./rules/graceful-shutdown.ts";
import { hpaMetricsSane } from "./rules/hpa-metrics-sane.ts";
import { hpaMinReplicas } from "./rules/hpa-min-replicas.ts";
import { hpaTargetExists } from "./rules/hpa-target-exists.ts";
import { httpRouteBackendsExist } from "./rules/httproute-backends-exist.ts";
import { imageDigest } from "./rules/image-digest.ts";
import { imageNotLatest } from "./rules/image-not-latest.ts";
import { imagePullPolicy } from "./rules/image-pull-policy.ts";
import { ingressBackendsExist } from "./rules/ingress-backends-exist.ts";
import { livenessProbe } from "./rules/liveness-probe.ts";
import { namespaceSet } from "./rules/namespace-set.ts";
import { networkPolicyPresent } from "./rules/network-policy-present.ts";
import { noHostIpc } from "./rules/no-host-ipc.ts";
import { noHostNetwork } from "./rules/no-host-network.ts";
import { noHostPath } from "./rules/no-host-path.ts";
import { noHostPid } from "./rules/no-host-pid.ts";
import { noPrivilegeEscalation } from "./rules/no-privilege-escalation.ts";
import { noPrivileged } from "./rules/no-privileged.ts";
import { pdbAllowsEviction } from "./rules/pdb-allows-eviction.ts";
import { pdbForReplicated } from "./rules/pdb-for-replicated.ts";
import { probesDistinct } from "./rules/probes-distinct.ts";
import { readOnlyRootFilesystem } from "./rules/read-only-root-filesystem.ts";
import { readinessProbe } from "./rules/readiness-probe.ts";
import { replicasProduction } from "./rules/replicas-production.ts";
import { requiredLabels } from "./rules/required-labels.ts";
import { rollingUpdateAvailability } from "./rules/rolling-update-availability.ts";
import { runAsNonRoot } from "./rules/run-as-non-root.ts";
import { seccompProfile } from "./rules/seccomp-profile.ts";
import { serviceAccountToken } from "./rules/service-account-token.ts";
import { serviceSelectsWorkload } from "./rules/service-selects-workload.ts";
import { startupProbe } from "./rules/startup-probe.ts";
import { topologySpread } from "./rules/topology-spread.ts";
import type { Rule } from "./types.ts";

export const builtinRules: readonly Rule[] = [
  allowedCapabilities,
  apiDeprecated,
  apiRemoved,
  containerMemoryLimit,
  containerRequests,
  dropAllCapabilities,
  envNoSecretLiterals,
  gracefulShutdown,
  hpaMetricsSane,
  hpaMinReplicas,
  hpaTargetExists,
  httpRouteBackendsExist,
  imageDigest,
  imageNotLatest,
  imagePullPolicy,
  ingressBackendsExist,
  livenessProbe,
  namespaceSet,
  networkPolicyPresent,
  noHostIpc,
  noHostNetwork,
  noHostPath,
  noHostPid,
  noPrivilegeEscalation,
  noPrivileged,
  pdbAllowsEviction,
  pdbForReplicated,
  probesDistinct,
  readOnlyRootFilesystem,
  readinessProbe,
  replicasProduction,
  requiredLabels,
  rollingUpdateAvailability,
  runAsNonRoot,
  seccompProfile,
  serviceAccountToken,
  serviceSelectsWorkload,
  startupProbe,
  topologySpread,
];
