/**
 * Where objects live in a GitOps repository: `<target>/<app>/<kind>-<name>.yaml`.
 *
 * Target first, because a platform team points its GitOps controller at an environment: one Argo
 * CD Application (or Flux Kustomization) per `<target>/`, or an ApplicationSet whose git
 * directory generator yields one Application per `<target>/<app>/`. Each app owns its own
 * directory, so apps sharing a target never share a file and one app's deploy can remove its stale
 * files without looking at anyone else's.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { type KubeObject, objectRef } from "../core/kube-object.ts";
import type { DeployScope } from "../delivery/deploy-target.ts";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The scope's directory, relative to the repository root (always with `/`). */
export function scopeDir(scope: DeployScope): string {
  for (const [field, value] of Object.entries(scope)) {
    if (!DNS_LABEL.test(value)) {
      throw new SlipwayError(
        ErrorCode.Input,
        `${field} "${value}" cannot name a GitOps directory: use lowercase letters, digits and "-" (a DNS label)`,
        { details: { [field]: value } },
      );
    }
  }
  return `${scope.target}/${scope.app}`;
}

/**
 * `deployment-web.yaml`: the kind and the name, lowercased, with anything outside `[a-z0-9.-]`
 * (e.g. the `:` of RBAC names) turned into `-`. The namespace is left out because one app's
 * objects in one target share a namespace; a render where two objects still collide is refused.
 */
export function objectFileName(o: KubeObject): string {
  const safe = (s: string) => s.toLowerCase().replace(/[^a-z0-9.-]+/g, "-");
  return `${safe(o.kind)}-${safe(o.metadata.name)}.yaml`;
}

/** File names for a render, refusing two objects that would share a file. */
export function fileNamesFor(objects: readonly KubeObject[]): Map<string, KubeObject> {
  const files = new Map<string, KubeObject>();
  for (const o of objects) {
    const name = objectFileName(o);
    const other = files.get(name);
    if (other !== undefined) {
      throw new SlipwayError(
        ErrorCode.RenderFailed,
        `${objectRef(other)} and ${objectRef(o)} would both be written to ${name}; rename one of them`,
        { details: { file: name, refs: [objectRef(other), objectRef(o)] } },
      );
    }
    files.set(name, o);
  }
  return files;
}
