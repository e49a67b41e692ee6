/**
 * The Kubernetes version the API rules judge against: the caller's, or else the newest version
 * the lifecycle table covers, so that loose manifests are judged against today's Kubernetes.
 */
import type { PolicyContext } from "../types.ts";
import { tableCheckedThrough } from "./api-lifecycle.ts";
import { type KubeVersion, parseKubeVersion } from "./versions.ts";

const newest = parseKubeVersion(tableCheckedThrough) as KubeVersion;
const cache = new Map<string, KubeVersion>();

export function targetVersionOf(context: PolicyContext): KubeVersion {
  const text = context.kubernetesVersion;
  if (text === undefined) return newest;
  let v = cache.get(text);
  if (!v) {
    v = parseKubeVersion(text) ?? newest;
    cache.set(text, v);
  }
  return v;
}
