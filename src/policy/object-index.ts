/**
 * An index of the whole checked set, built once per run, so that cross-object rules (does a
 * Service select a workload, does a PDB cover it, does an Ingress backend exist) look objects up
 * instead of scanning. Objects without a namespace share the `""` namespace: `helm template`
 * output usually leaves the namespace to the installer, and its objects still refer to each other.
 */
import type { KubeObject } from "../core/kube-object.ts";
import { dig, int, text } from "./access.ts";
import { podTemplateOf } from "./workload.ts";

export interface ObjectIndex {
  readonly size: number;
  /** Objects of `kind` in `namespace`. */
  ofKind(kind: string, namespace: string): readonly KubeObject[];
  /** Objects of any of `kinds` in `namespace`. */
  ofKinds(kinds: readonly string[], namespace: string): readonly KubeObject[];
  find(kind: string, namespace: string, name: string): KubeObject | undefined;
  /** The HorizontalPodAutoscaler whose scaleTargetRef names `workload`, if any. */
  autoscalerFor(workload: KubeObject): KubeObject | undefined;
  /** Replicas a workload will run with: its HPA's minReplicas when scaled, else spec.replicas. */
  minimumReplicasOf(workload: KubeObject): number;
}

export function namespaceOf(o: KubeObject): string {
  return o.metadata.namespace ?? "";
}

const empty: readonly KubeObject[] = [];

export function buildIndex(objects: readonly KubeObject[]): ObjectIndex {
  const byKindNs = new Map<string, KubeObject[]>();
  const byName = new Map<string, KubeObject>();
  const hpaByTarget = new Map<string, KubeObject>();
  for (const o of objects) {
    const ns = namespaceOf(o);
    const key = `${o.kind}\u0000${ns}`;
    let bucket = byKindNs.get(key);
    if (!bucket) {
      bucket = [];
      byKindNs.set(key, bucket);
    }
    bucket.push(o);
    byName.set(`${key}\u0000${o.metadata.name}`, o);
    if (o.kind === "HorizontalPodAutoscaler") {
      const kind = text(dig(o, "spec", "scaleTargetRef", "kind"));
      const name = text(dig(o, "spec", "scaleTargetRef", "name"));
      if (kind && name) hpaByTarget.set(`${kind}\u0000${ns}\u0000${name}`, o);
    }
  }
  const ofKind = (kind: string, ns: string) => byKindNs.get(`${kind}\u0000${ns}`) ?? empty;
  const autoscalerFor = (w: KubeObject) =>
    hpaByTarget.get(`${w.kind}\u0000${namespaceOf(w)}\u0000${w.metadata.name}`);
  return {
    size: objects.length,
    ofKind,
    ofKinds: (kinds, ns) => kinds.flatMap((k) => ofKind(k, ns)),
    find: (kind, ns, name) => byName.get(`${kind}\u0000${ns}\u0000${name}`),
    autoscalerFor,
    minimumReplicasOf: (w) => {
      const hpa = autoscalerFor(w);
      if (hpa) return int(dig(hpa, "spec", "minReplicas")) ?? 1;
      const r = dig(w, "spec", "replicas");
      return typeof r === "number" ? r : podTemplateOf(w) ? 1 : 0;
    },
  };
}
