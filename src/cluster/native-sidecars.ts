/**
 * Native sidecars (init containers with `restartPolicy: Always`) need Kubernetes 1.29: an older API
 * server drops the field it does not know (or, on 1.28, has switched off) and keeps the container
 * as a plain init container that never exits, so every pod hangs in Init. The renderer refuses
 * them where the platform file says the cluster is older; a cluster target asks the API server
 * itself, since the platform file may not say or may be out of date.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { type KubeObject, objectRef } from "../core/kube-object.ts";

const NATIVE_SIDECAR_MINOR = 29;

type Pod = { initContainers?: { name?: string; restartPolicy?: string }[] };

export function hasNativeSidecar(o: KubeObject): boolean {
  const spec = o.spec as Record<string, unknown> | undefined;
  const template = (
    o.kind === "CronJob"
      ? (spec?.jobTemplate as { spec?: { template?: unknown } } | undefined)?.spec?.template
      : spec?.template
  ) as { spec?: Pod } | undefined;
  const pod = o.kind === "Pod" ? (spec as Pod | undefined) : template?.spec;
  return (pod?.initContainers ?? []).some((c) => c.restartPolicy === "Always");
}

/** The refusal of `objects` (those with native sidecars) on an API server of `gitVersion`, if any. */
export function nativeSidecarRefusal(
  objects: readonly KubeObject[],
  gitVersion: string,
): SlipwayError | undefined {
  const minor = Number(/^v?1\.([0-9]+)/.exec(gitVersion)?.[1] ?? Number.NaN);
  // An unparsable version (a vendor's) is the API server's to judge.
  if (Number.isNaN(minor) || minor >= NATIVE_SIDECAR_MINOR) return undefined;
  const refs = objects.filter(hasNativeSidecar).map(objectRef);
  if (refs.length === 0) return undefined;
  return new SlipwayError(
    ErrorCode.ClusterRejected,
    `${refs.join(", ")} ${refs.length === 1 ? "has" : "have"} native sidecars (sidecars:), which need Kubernetes 1.${NATIVE_SIDECAR_MINOR} or later, and the API server runs ${gitVersion}: it would drop restartPolicy and leave every pod waiting for a sidecar that never exits. Run the helper as an init container, or upgrade the cluster (and set its kubernetesVersion in the platform file, so validate says so too)`,
    { details: { objects: refs, serverVersion: gitVersion } },
  );
}
