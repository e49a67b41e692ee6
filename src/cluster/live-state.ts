/**
 * One read of everything a target holds for the apps being deployed: for each resource kind, one
 * list call selecting the target's label (and the apps'), cluster-wide (or per namespace when
 * Slipway may not list cluster-wide). Served from the API server's watch cache, this is how an
 * unchanged re-apply of 2,000 objects costs a handful of requests instead of 2,000.
 */
import { isSlipwayError } from "../core/errors.ts";
import { type KubeObject, objectRef } from "../core/kube-object.ts";
import type { ApiClient } from "./api-client.ts";
import { SCOPE_LABELS } from "./cluster.ts";
import { objectPath, type ResourceInfo } from "./discovery.ts";

interface ListBody {
  items: KubeObject[];
  metadata?: { continue?: string };
}

async function listOnce(client: ApiClient, r: ResourceInfo, namespace: string | undefined, selector: string) {
  const out: KubeObject[] = [];
  let token: string | undefined;
  do {
    const q = new URLSearchParams({ labelSelector: selector, limit: "5000" });
    if (token) q.set("continue", token);
    const res = await client.call(
      { method: "GET", path: `${objectPath(r, namespace)}?${q}` },
      { verb: "list", resource: r.qualified, ...(namespace ? { namespace } : {}) },
    );
    const body = JSON.parse(res.body) as ListBody;
    // List items carry no apiVersion/kind; put them back so refs and diffs read normally.
    for (const item of body.items) out.push({ ...item, apiVersion: r.apiVersion, kind: r.kind });
    token = body.metadata?.continue || undefined;
  } while (token);
  return out;
}

/**
 * Up to this many apps are named in one label selector; a deploy of more (the CLI deploying a
 * whole platform) reads the target's objects of every app instead.
 */
export const MAX_SELECTED_APPS = 50;

/**
 * The label selector of `apps`' objects in `target`; every app's in the target when `apps` is
 * undefined. One app's deploy among a hundred in a channel reads its own objects, not all of them:
 * reading all of them made each deploy's cost grow with the number of apps in the channel.
 */
export function scopeSelector(target: string, apps: readonly string[] | undefined): string {
  const inTarget = `${SCOPE_LABELS.target}=${target}`;
  return apps === undefined ? inTarget : `${inTarget},${SCOPE_LABELS.app} in (${apps.join(",")})`;
}

/**
 * The label selectors that together select every object `scopeSelector` leaves out: those not
 * labelled for `target` (`!=` also matches objects without the label) and, with `apps`, the
 * target's other apps'.
 */
export function outsideScopeSelectors(target: string, apps: readonly string[] | undefined): string[] {
  const elsewhere = `${SCOPE_LABELS.target}!=${target}`;
  return apps === undefined
    ? [elsewhere]
    : [elsewhere, `${SCOPE_LABELS.target}=${target},${SCOPE_LABELS.app} notin (${apps.join(",")})`];
}

/** The apps to select by, or undefined (all in the target) when there are too many to name. */
export function selectedApps(apps: Iterable<string>): readonly string[] | undefined {
  const unique = [...new Set(apps)].sort();
  return unique.length > 0 && unique.length <= MAX_SELECTED_APPS ? unique : undefined;
}

/**
 * The live objects labelled for `apps` in `target` (every app's when undefined), keyed by
 * `kind/namespace/name`. `namespaces` is the fallback when a cluster-wide list is forbidden (a
 * namespace-scoped Slipway identity).
 */
export async function readLive(
  client: ApiClient,
  resources: readonly ResourceInfo[],
  target: string,
  namespaces: readonly string[],
  apps: readonly string[] | undefined,
): Promise<Map<string, KubeObject>> {
  const selector = scopeSelector(target, apps);
  const lists = await Promise.all(
    resources.map(async (r) => {
      try {
        return await listOnce(client, r, undefined, selector);
      } catch (e) {
        if (!(r.namespaced && isSlipwayError(e) && e.code === "SLIPWAY_E_FORBIDDEN")) throw e;
        const perNs = await Promise.all(namespaces.map((ns) => listOnce(client, r, ns, selector)));
        return perNs.flat();
      }
    }),
  );
  const live = new Map<string, KubeObject>();
  for (const o of lists.flat()) live.set(objectRef(o), o);
  return live;
}
