/**
 * The shape every module passes around for a Kubernetes object: plain JSON data, never a client
 * class. Rendering produces these; policy, GitOps and the cluster adapter consume them.
 */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** `kind/namespace/name`, the stable identity used in reports, diffs and file names. */
export function objectRef(o: KubeObject): string {
  const ns = o.metadata.namespace;
  return ns ? `${o.kind}/${ns}/${o.metadata.name}` : `${o.kind}/${o.metadata.name}`;
}

/**
 * An object that holds data (a PersistentVolumeClaim) carries this annotation with `"true"` unless
 * its spec says otherwise: no prune deletes it, on a deploy or a rollback. To delete it, deploy it
 * once with the annotation off (`keep: false`), then leave it out.
 */
export const KEEP_ANNOTATION = "slipway.dev/keep";

export function keptFromPrune(o: KubeObject): boolean {
  return o.metadata.annotations?.[KEEP_ANNOTATION] === "true";
}
