/**
 * Which objects use an API version that a target Kubernetes version deprecates or no longer
 * serves. Pure: objects and a version in, a list out, each item with the replacement and the
 * release it goes away in.
 */
import { type KubeObject, objectRef } from "../../core/kube-object.ts";
import { type ApiLifecycle, apiLifecycle } from "./api-lifecycle.ts";
import { compareMinor, type KubeVersion, parseKubeVersion } from "./versions.ts";

export interface DeprecatedUse {
  readonly object: string;
  readonly apiVersion: string;
  readonly kind: string;
  /** `removed`: the target no longer serves it; `deprecated`: served, with a warning. */
  readonly status: "removed" | "deprecated";
  readonly deprecatedIn: string;
  readonly removedIn?: string;
  readonly replacement: string;
}

const byKey = new Map<string, ApiLifecycle>();
for (const entry of apiLifecycle)
  for (const kind of entry.kinds) byKey.set(`${entry.apiVersion} ${kind}`, entry);

export function lifecycleOf(apiVersion: string, kind: string): ApiLifecycle | undefined {
  return byKey.get(`${apiVersion} ${kind}`);
}

/** The status of one apiVersion/kind at `target`, or undefined when it is current there. */
export function statusAt(entry: ApiLifecycle, target: KubeVersion): "removed" | "deprecated" | undefined {
  const removed = entry.removedIn === undefined ? undefined : parseKubeVersion(entry.removedIn);
  if (removed && compareMinor(target, removed) >= 0) return "removed";
  const deprecated = parseKubeVersion(entry.deprecatedIn);
  if (deprecated && compareMinor(target, deprecated) >= 0) return "deprecated";
  return undefined;
}

export function deprecatedUses(objects: readonly KubeObject[], target: KubeVersion): DeprecatedUse[] {
  const out: DeprecatedUse[] = [];
  for (const o of objects) {
    const entry = lifecycleOf(o.apiVersion, o.kind);
    if (!entry) continue;
    const status = statusAt(entry, target);
    if (!status) continue;
    out.push({
      object: objectRef(o),
      apiVersion: o.apiVersion,
      kind: o.kind,
      status,
      deprecatedIn: entry.deprecatedIn,
      ...(entry.removedIn === undefined ? {} : { removedIn: entry.removedIn }),
      replacement: entry.replacement,
    });
  }
  return out;
}
