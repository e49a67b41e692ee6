/**
 * Whose an object is, and whether a deploy of one scope (app, target, team) may write it. Slipway
 * applies every object under one field manager, so the API server cannot tell one app's apply from
 * another's: a field conflict never protects one app's objects from another app. The live labels
 * do. An object labelled for another app or target is that scope's: never written (with or
 * without force), never pruned. An object Slipway never applied is someone else's: taken over only
 * with the operator's say (`adopt`, `forceConflicts`). A namespace labelled for another app or
 * team takes no objects of this one.
 */
import { ErrorCode, isSlipwayError, SlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import type { DeployScope } from "../delivery/deploy-target.ts";
import type { ApiClient } from "./api-client.ts";
import { SCOPE_LABELS, TEAM_LABEL } from "./cluster.ts";
import { objectPath, type ResourceInfo } from "./discovery.ts";
import { outsideScopeSelectors } from "./live-state.ts";

const METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json";
const METADATA = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json";

/** An object a deploy means to create: it is not among the target's live objects of this app. */
export interface Unseen {
  readonly ref: string;
  readonly resource: ResourceInfo;
  readonly namespace: string | undefined;
  readonly name: string;
}

/** `app X in target T (team Y)` from an object's labels, as far as they say. */
function ownerText(o: KubeObject): string {
  const labels = o.metadata.labels ?? {};
  const team = labels[TEAM_LABEL];
  return `app ${labels[SCOPE_LABELS.app]} in target ${labels[SCOPE_LABELS.target] ?? "?"}${team ? ` (team ${team})` : ""}`;
}

function scopeText(scope: DeployScope): string {
  return `app ${scope.app} in target ${scope.target}${scope.team ? ` (team ${scope.team})` : ""}`;
}

/** Field managers of an object, for naming who holds an object Slipway never applied. */
function managers(o: KubeObject): string {
  const names = ((o.metadata.managedFields ?? []) as { manager?: string }[]).map((m) => m.manager ?? "?");
  return names.length === 0
    ? "made outside Slipway; no field manager recorded"
    : `managed by ${[...new Set(names)].join(", ")}`;
}

/**
 * Why `scope` may not write `live` (the object `ref` as it is now), or undefined when it may.
 * `mayAdopt`: the operator allowed taking over objects Slipway never applied.
 */
export function ownershipConflict(
  ref: string,
  live: KubeObject,
  scope: DeployScope,
  mayAdopt: boolean,
): string | undefined {
  const labels = live.metadata.labels ?? {};
  const app = labels[SCOPE_LABELS.app];
  if (app === undefined) {
    if (mayAdopt) return undefined;
    return (
      `${ref} already exists and is not Slipway's (${managers(live)}); ${scopeText(scope)} does not take it over. ` +
      "Rename the object in the app, remove it, or deploy with --force-conflicts to take it over"
    );
  }
  if (app !== scope.app || labels[SCOPE_LABELS.target] !== scope.target) {
    return (
      `${ref} belongs to ${ownerText(live)}; ${scopeText(scope)} may not take it over or delete it ` +
      "(--force-conflicts does not change that). Rename the object in the app, or have its owner remove it"
    );
  }
  const team = labels[TEAM_LABEL];
  if (scope.team !== undefined && team !== undefined && team !== scope.team) {
    return (
      `${ref} was deployed for team ${team}, but app ${scope.app} now says team ${scope.team}; ` +
      `an app in a target keeps its team: have team ${team} remove ${scope.app} from ${scope.target} first, or fix team: in slipway.yaml`
    );
  }
  return undefined;
}

/** Why `scope` may not place objects in namespace `ns`, or undefined when it may. */
export function namespaceConflict(ns: KubeObject, scope: DeployScope): string | undefined {
  const labels = ns.metadata.labels ?? {};
  const app = labels[SCOPE_LABELS.app];
  const where = `namespace ${ns.metadata.name}`;
  if (app !== undefined && (app !== scope.app || labels[SCOPE_LABELS.target] !== scope.target)) {
    return `${where} belongs to ${ownerText(ns)}; ${scopeText(scope)} may not deploy into it`;
  }
  const team = labels[TEAM_LABEL];
  if (team !== undefined && scope.team !== undefined && team !== scope.team) {
    return `${where} is team ${team}'s; ${scopeText(scope)} may not deploy into it`;
  }
  return undefined;
}

/**
 * An object placed in a namespace whose kind the API server says is cluster-scoped: the renderer
 * drops the namespace of every cluster-scoped kind it knows of (and only the platform's
 * `rawManifests.allow` admits those), so one still carrying a namespace is a kind it took for
 * namespaced (a CRD such as Calico's GlobalNetworkPolicy). The API server would drop the namespace
 * and create it cluster-wide, beyond the app's scope.
 */
export function clusterScopedConflict(
  ref: string,
  resource: ResourceInfo,
  intent: KubeObject,
  scope: DeployScope,
): string | undefined {
  const ns = intent.metadata.namespace;
  if (resource.namespaced || ns === undefined || ns === "") return undefined;
  return (
    `${ref}: ${intent.kind} is cluster-scoped on this cluster (${resource.qualified}), so it would be created cluster-wide, not in namespace ${ns}; ` +
    `${scopeText(scope)} may not: a cluster-scoped kind needs the platform file's rawManifests.allow`
  );
}

export function conflictError(conflicts: readonly string[]): SlipwayError {
  const [first] = conflicts;
  const message =
    conflicts.length === 1 && first
      ? first
      : `${conflicts.length} objects belong to someone else:\n${conflicts.map((c) => `  - ${c}`).join("\n")}`;
  return new SlipwayError(ErrorCode.Conflict, message, { details: { conflicts } });
}

/**
 * The live copies (metadata only) of `unseen` objects that exist all the same: labelled for
 * another target or (when the live objects were read for `apps` only) another app of this target,
 * or not labelled by Slipway at all. One GET for a lone object, else per resource and namespace a
 * list of what is not this target's (the `!=` selector also matches objects without the label)
 * and, with `apps`, one of this target's other apps. Nothing is read when there is nothing new to
 * create.
 */
export async function findExisting(
  client: ApiClient,
  unseen: readonly Unseen[],
  target: string,
  apps?: readonly string[] | undefined,
): Promise<Map<string, KubeObject>> {
  const selectors = outsideScopeSelectors(target, apps);
  const groups = new Map<string, Unseen[]>();
  for (const u of unseen) {
    const key = `${u.resource.qualified}|${u.namespace ?? ""}`;
    const group = groups.get(key);
    if (group) group.push(u);
    else groups.set(key, [u]);
  }
  const found = new Map<string, KubeObject>();
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const [one] = group;
      if (!one) return;
      const { resource: r, namespace } = one;
      const ctx = { resource: r.qualified, ...(namespace ? { namespace } : {}) };
      if (group.length === 1) {
        const res = await client.call(
          { method: "GET", path: objectPath(r, namespace, one.name), accept: METADATA },
          { ...ctx, verb: "get", name: one.name, ref: one.ref },
          [200, 404],
        );
        if (res.status === 200) found.set(one.ref, withKind(JSON.parse(res.body) as KubeObject, r));
        return;
      }
      const wanted = new Map(group.map((u) => [u.name, u.ref]));
      await Promise.all(
        selectors.map(async (labelSelector) => {
          let token: string | undefined;
          do {
            const q = new URLSearchParams({ labelSelector, limit: "500" });
            if (token) q.set("continue", token);
            const res = await client.call(
              { method: "GET", path: `${objectPath(r, namespace)}?${q}`, accept: METADATA_LIST },
              { ...ctx, verb: "list" },
            );
            const body = JSON.parse(res.body) as {
              items?: KubeObject[] | null;
              metadata?: { continue?: string };
            };
            // An empty metadata-only list comes back with `items: null`.
            for (const item of body.items ?? []) {
              const ref = wanted.get(item.metadata.name);
              if (ref !== undefined) found.set(ref, withKind(item, r));
            }
            token = body.metadata?.continue || undefined;
          } while (token);
        }),
      );
    }),
  );
  return found;
}

/**
 * The namespaces `names` as they are now (`found`), and those that do not exist (`absent`). One
 * that may not be read is in neither: an identity that may not read namespaces was confined to
 * its namespaces by the operator, and there is nothing to check for it.
 */
export async function readNamespaces(
  client: ApiClient,
  names: readonly string[],
): Promise<{ found: Map<string, KubeObject>; absent: Set<string> }> {
  const found = new Map<string, KubeObject>();
  const absent = new Set<string>();
  await Promise.all(
    names.map(async (name) => {
      try {
        const res = await client.call(
          { method: "GET", path: `/api/v1/namespaces/${encodeURIComponent(name)}`, accept: METADATA },
          { verb: "get", resource: "namespaces", name },
          [200, 404],
        );
        if (res.status === 200) found.set(name, JSON.parse(res.body) as KubeObject);
        else absent.add(name);
      } catch (e) {
        if (!(isSlipwayError(e) && e.code === ErrorCode.Forbidden)) throw e;
      }
    }),
  );
  return { found, absent };
}

function withKind(o: KubeObject, r: ResourceInfo): KubeObject {
  return { ...o, apiVersion: r.apiVersion, kind: r.kind };
}
