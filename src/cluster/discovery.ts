/**
 * apiVersion + kind → the REST resource (plural name, namespaced or not), from the API server's
 * discovery documents, fetched once per group-version and cached for the client's life.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { ApiClient } from "./api-client.ts";

export interface ResourceInfo {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** `deployments.apps`, `configmaps`: how RBAC and messages name it. */
  readonly qualified: string;
}

/**
 * Built-in kinds Slipway renders, whose REST names have been stable since Kubernetes 1.23: no
 * discovery round trip for them (it was a tenth of an unchanged re-apply). Everything else,
 * CRDs included, is discovered.
 */
const BUILTIN: Readonly<Record<string, { plural: string; namespaced: boolean }>> = {
  "v1|Namespace": { plural: "namespaces", namespaced: false },
  "v1|ServiceAccount": { plural: "serviceaccounts", namespaced: true },
  "v1|ConfigMap": { plural: "configmaps", namespaced: true },
  "v1|Secret": { plural: "secrets", namespaced: true },
  "v1|Service": { plural: "services", namespaced: true },
  "apps/v1|Deployment": { plural: "deployments", namespaced: true },
  "apps/v1|StatefulSet": { plural: "statefulsets", namespaced: true },
  "batch/v1|Job": { plural: "jobs", namespaced: true },
  "batch/v1|CronJob": { plural: "cronjobs", namespaced: true },
  "autoscaling/v2|HorizontalPodAutoscaler": { plural: "horizontalpodautoscalers", namespaced: true },
  "policy/v1|PodDisruptionBudget": { plural: "poddisruptionbudgets", namespaced: true },
  "networking.k8s.io/v1|Ingress": { plural: "ingresses", namespaced: true },
  "networking.k8s.io/v1|NetworkPolicy": { plural: "networkpolicies", namespaced: true },
};

interface ResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

export class Discovery {
  readonly #client: ApiClient;
  readonly #cache = new Map<string, Promise<ResourceList | undefined>>();

  constructor(client: ApiClient) {
    this.#client = client;
  }

  /** Forgets a group-version, e.g. after a CRD was created. */
  invalidate(apiVersion: string): void {
    this.#cache.delete(apiVersion);
  }

  /** Undefined when the cluster does not serve that apiVersion/kind (e.g. a CRD not installed). */
  async find(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const builtin = BUILTIN[`${apiVersion}|${kind}`];
    if (builtin) return info(apiVersion, kind, builtin.plural, builtin.namespaced);
    let list = this.#cache.get(apiVersion);
    if (!list) {
      list = this.#fetch(apiVersion);
      this.#cache.set(apiVersion, list);
    }
    const r = (await list)?.resources.find((x) => x.kind === kind && !x.name.includes("/"));
    if (!r) return undefined;
    return info(apiVersion, kind, r.name, r.namespaced);
  }

  async require(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const info = await this.find(apiVersion, kind);
    if (!info) {
      throw new SlipwayError(
        ErrorCode.Cluster,
        `the cluster does not serve ${kind} in ${apiVersion}; install the CRD that provides it, or target a ` +
          "cluster whose Kubernetes version has this API",
        { details: { apiVersion, kind } },
      );
    }
    return info;
  }

  async #fetch(apiVersion: string): Promise<ResourceList | undefined> {
    const path = groupVersionPath(apiVersion);
    const res = await this.#client.call({ method: "GET", path }, { verb: "get", resource: path }, [200, 404]);
    if (res.status === 404) {
      this.#cache.delete(apiVersion);
      return undefined;
    }
    return JSON.parse(res.body) as ResourceList;
  }
}

export function objectPath(r: ResourceInfo, namespace: string | undefined, name?: string): string {
  const base = groupVersionPath(r.apiVersion);
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${base}${ns}/${r.plural}${name === undefined ? "" : `/${encodeURIComponent(name)}`}`;
}

function info(apiVersion: string, kind: string, plural: string, namespaced: boolean): ResourceInfo {
  const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
  return { apiVersion, kind, plural, namespaced, qualified: group ? `${plural}.${group}` : plural };
}
