/**
 * One read of everything a target holds: for each resource kind, one list call selecting the
 * target's label, cluster-wide (or per namespace when Slipway may not list cluster-wide). Served
 * from the API server's watch cache, this is how an unchanged re-apply of 2,000 objects costs a
 * handful of requests instead of 2,000.
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
 * The live objects labelled for `target`, keyed by `kind/namespace/name`. `namespaces` is the
 * fallback when a cluster-wide list is forbidden (a namespace-scoped Slipway identity).
 */
export async function readLive(
  client: ApiClient,
  resources: readonly ResourceInfo[],
  target: string,
  namespaces: readonly string[],
): Promise<Map<string, KubeObject>> {
  const selector = `${SCOPE_LABELS.target}=${target}`;
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
