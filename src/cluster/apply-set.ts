/**
 * Server-side apply of rendered sets, with pruning. The order of work:
 *   1. stamp each object (scope labels, intent hash) and resolve its REST resource;
 *   2. read the target's live objects with one list per kind (live-state.ts);
 *   3. plan: unchanged objects (intent.ts decides) are not sent at all;
 *   4. apply namespaces and CRDs first, then everything else in parallel under the adaptive limiter;
 *   5. prune objects of the scope that are no longer rendered — only ones Slipway applied itself.
 * A write is counted only when the server changed the object (its resourceVersion moved).
 */
import { ErrorCode, isSlipwayError, SlipwayError } from "../core/errors.ts";
import { type KubeObject, keptFromPrune, objectRef } from "../core/kube-object.ts";
import type { DeployScope } from "../delivery/deploy-target.ts";
import { ChangeAction, type DeployProgress, type ObjectChange } from "../delivery/deploy-target.ts";
import { planChanges } from "../delivery/plan-changes.ts";
import type { ApiClient } from "./api-client.ts";
import { type ClusterApplyRequest, FIELD_MANAGER, SCOPE_LABELS } from "./cluster.ts";
import { type Discovery, objectPath, type ResourceInfo } from "./discovery.ts";
import { appliedBySlipway, driftOf, stampIntent } from "./intent.ts";
import {
  INVENTORY_ANNOTATION,
  type InventoryEntry,
  inventoryOf,
  parseInventory,
  withInventory,
} from "./inventory.ts";
import { readLive, selectedApps } from "./live-state.ts";
import {
  clusterScopedConflict,
  conflictError,
  findExisting,
  namespaceConflict,
  ownershipConflict,
  readNamespaces,
  type Unseen,
} from "./ownership.ts";

/** Kinds Slipway renders: listed on every apply so that a kind dropped from the render is pruned too. */
export const PRUNABLE_KINDS: readonly { apiVersion: string; kind: string }[] = [
  { apiVersion: "v1", kind: "ServiceAccount" },
  { apiVersion: "v1", kind: "ConfigMap" },
  { apiVersion: "v1", kind: "Secret" },
  { apiVersion: "v1", kind: "PersistentVolumeClaim" },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role" },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding" },
  { apiVersion: "v1", kind: "Service" },
  { apiVersion: "apps/v1", kind: "Deployment" },
  { apiVersion: "apps/v1", kind: "StatefulSet" },
  { apiVersion: "batch/v1", kind: "CronJob" },
  { apiVersion: "batch/v1", kind: "Job" },
  { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler" },
  { apiVersion: "policy/v1", kind: "PodDisruptionBudget" },
  { apiVersion: "networking.k8s.io/v1", kind: "Ingress" },
  { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy" },
  { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute" },
  { apiVersion: "gateway.networking.k8s.io/v1", kind: "GRPCRoute" },
  { apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor" },
];

const USUAL_KINDS: ReadonlySet<string> = new Set(PRUNABLE_KINDS.map((k) => `${k.apiVersion}|${k.kind}`));

/** Never pruned: a namespace holds other apps' and other people's objects. */
const NEVER_PRUNE = new Set(["Namespace", "CustomResourceDefinition"]);
const FIRST = new Set(["Namespace", "CustomResourceDefinition"]);
const SERVICE_LANE = 4;
/**
 * What a pod reads or is governed by, and what no controller acts on when it appears: sent in the
 * first wave, alongside new Services. Everything else waits for that wave.
 */
const FIRST_WAVE = new Set([
  "NetworkPolicy",
  "ResourceQuota",
  "LimitRange",
  "ServiceAccount",
  "Role",
  "RoleBinding",
  "Secret",
  "ConfigMap",
  "PersistentVolumeClaim",
  "Service",
]);
/**
 * The order of the second wave: workloads last. A Deployment sent early sets the controllers to
 * create ReplicaSets, pods, bindings and status updates on the same API server while the apply is
 * still running; sent last, that work starts as the apply ends. Kinds not listed (custom
 * resources) go after the built-ins they may refer to, before the workloads that may use them.
 */
const SECOND_WAVE_ORDER = [
  "PodDisruptionBudget",
  "HorizontalPodAutoscaler",
  "Ingress",
  "HTTPRoute",
  "*",
  "DaemonSet",
  "StatefulSet",
  "Deployment",
  "Job",
  "CronJob",
];
const secondWaveRank = (kind: string) => {
  const i = SECOND_WAVE_ORDER.indexOf(kind);
  return i === -1 ? SECOND_WAVE_ORDER.indexOf("*") : i;
};
const METADATA_ONLY = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json";

export interface AppliedObject {
  readonly ref: string;
  readonly object: KubeObject;
  readonly written: boolean;
  /**
   * The object existed before this apply without being Slipway's: not the failed revision's to
   * delete on a rollback.
   */
  readonly adopted?: boolean;
}

export interface ApplySetResult {
  readonly changes: ObjectChange[];
  /** The intent with the server's metadata after the apply (or the live copy when unchanged). */
  readonly applied: AppliedObject[];
  readonly writes: number;
  readonly drifted: string[];
  /** The live objects of the requests' scopes that Slipway had applied, as listed before this apply. */
  readonly previous: KubeObject[];
}

interface Planned {
  readonly ref: string;
  readonly intent: KubeObject;
  readonly resource: ResourceInfo;
  readonly live: KubeObject | undefined;
  readonly force: boolean;
  readonly scope: DeployScope;
}

export async function applySet(
  client: ApiClient,
  discovery: Discovery,
  requests: readonly ClusterApplyRequest[],
  progress: (e: DeployProgress) => void,
  dryRun = false,
): Promise<ApplySetResult> {
  const targets = new Set(requests.map((r) => r.scope.target));
  const result: ApplySetResult = { changes: [], applied: [], writes: 0, drifted: [], previous: [] };
  for (const target of targets) {
    const mine = requests.filter((r) => r.scope.target === target);
    const part = await applyTarget(client, discovery, target, mine, progress, dryRun);
    result.changes.push(...part.changes);
    result.applied.push(...part.applied);
    result.drifted.push(...part.drifted);
    result.previous.push(...part.previous);
    (result as { writes: number }).writes += part.writes;
  }
  return result;
}

async function applyTarget(
  client: ApiClient,
  discovery: Discovery,
  target: string,
  requests: readonly ClusterApplyRequest[],
  progress: (e: DeployProgress) => void,
  dryRun: boolean,
): Promise<ApplySetResult> {
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const k of PRUNABLE_KINDS) kinds.set(`${k.apiVersion}|${k.kind}`, k);
  for (const r of requests) for (const o of r.objects) kinds.set(`${o.apiVersion}|${o.kind}`, o);
  const namespaces = [
    ...new Set(requests.flatMap((r) => r.objects.map((o) => o.metadata.namespace ?? "")).filter(Boolean)),
  ];
  // The deployed apps' objects only (each object's app label is its scope's: `stampIntent`).
  const apps = selectedApps(requests.map((r) => r.scope.app));
  // Each kind is listed as soon as it is resolved: built-ins at once, discovered kinds after
  // their one discovery request, so no list waits for another kind's discovery.
  const resolved = new Map<string, ResourceInfo | undefined>();
  const parts = await Promise.all(
    [...kinds].map(async ([key, k]) => {
      const r = await discovery.find(k.apiVersion, k.kind);
      resolved.set(key, r);
      return r ? readLive(client, [r], target, namespaces, apps) : new Map<string, KubeObject>();
    }),
  );
  const live = new Map(parts.flatMap((m) => [...m]));
  // What earlier applies recorded beyond the usual kinds and namespaces (inventory.ts), listed too.
  const inherited = new Map(requests.map((r) => [r, recordedFor(live, r)]));
  const beyond = [...inherited.values()]
    .flat()
    .filter(
      (e) =>
        !kinds.has(`${e.apiVersion}|${e.kind}`) ||
        (e.namespace !== undefined && !namespaces.includes(e.namespace)),
    );
  for (const [ref, o] of await listRecorded(client, discovery, { target, apps }, beyond, progress))
    live.set(ref, o);
  const stamped = requests.map((r) => {
    const home = r.objects.find((o) => o.kind === "ServiceAccount")?.metadata.namespace;
    const recorded = withInventory(
      r.objects,
      inventoryOf(r.objects, USUAL_KINDS, home),
      inherited.get(r) ?? [],
      r.prune !== true,
    );
    return { req: r, objects: recorded.map((o) => stampIntent(o, r.scope, r.keepAppliedHash === true)) };
  });

  const changes: ObjectChange[] = [];
  const drifted: string[] = [];
  const toApply: Planned[] = [];
  const toDelete: KubeObject[] = [];
  const unchanged: AppliedObject[] = [];
  const previous: KubeObject[] = [];
  // Whose each object to write is: checked against its live copy before anything is written.
  const conflicts: string[] = [];
  const unseen: (Unseen & { req: ClusterApplyRequest })[] = [];
  // Grouped once: filtering every live object for each of 200 apps was most of an unchanged apply.
  const liveByApp = new Map<string | undefined, KubeObject[]>();
  for (const o of live.values()) {
    const app = o.metadata.labels?.[SCOPE_LABELS.app];
    const group = liveByApp.get(app);
    if (group) group.push(o);
    else liveByApp.set(app, [o]);
  }
  for (const { req, objects } of stamped) {
    const inScope = liveByApp.get(req.scope.app) ?? [];
    previous.push(...inScope.filter(appliedBySlipway));
    // Only what Slipway applied itself is a candidate for deletion; namespaces are compared (so an
    // unchanged one is not re-sent) but never deleted.
    const desiredRefs = new Set(objects.map(objectRef));
    const handBack = new Set(req.handBack ?? []);
    // Objects that hold data (keptFromPrune) are compared when rendered, never deleted when not.
    const current = inScope.filter(
      (o) =>
        appliedBySlipway(o) &&
        !handBack.has(objectRef(o)) &&
        ((!NEVER_PRUNE.has(o.kind) && !keptFromPrune(o)) || desiredRefs.has(objectRef(o))),
    );
    const plan = planChanges(objects, current, {
      scope: req.scope,
      prune: req.prune,
      ...(req.allowEmpty === undefined ? {} : { allowEmpty: req.allowEmpty }),
      same: (before, after) => driftOf(after, before) === undefined,
    });
    changes.push(...plan);
    const byRef = new Map(objects.map((o) => [objectRef(o), o]));
    for (const change of plan) {
      if (change.action === ChangeAction.Delete) {
        const o = live.get(change.ref);
        if (o) toDelete.push(o);
        continue;
      }
      const intent = byRef.get(change.ref);
      if (!intent) continue;
      const l = live.get(change.ref);
      if (change.action === ChangeAction.Unchanged && l) {
        unchanged.push({ ref: change.ref, object: l, written: false });
        continue;
      }
      const resource = resolved.get(`${intent.apiVersion}|${intent.kind}`);
      if (l && change.action === ChangeAction.Update) {
        const why = driftOf(intent, l);
        if (why && why !== "intent changed") drifted.push(`${change.ref} (${why})`);
      }
      const mayAdopt = req.adopt === true || req.forceConflicts === true;
      const misplaced = resource && clusterScopedConflict(change.ref, resource, intent, req.scope);
      if (misplaced) conflicts.push(misplaced);
      if (l !== undefined) {
        const why = ownershipConflict(change.ref, l, req.scope, mayAdopt);
        if (why !== undefined) conflicts.push(why);
      } else if (resource !== undefined) {
        const namespace = resource.namespaced ? intent.metadata.namespace : undefined;
        unseen.push({ ref: change.ref, resource, namespace, name: intent.metadata.name, req });
      }
      const ours = l !== undefined && appliedBySlipway(l);
      toApply.push({
        ref: change.ref,
        intent,
        // Resolved after the first phase when a CRD applied in it provides the kind.
        resource: resource as ResourceInfo,
        live: l,
        // Objects Slipway applied before are Slipway's: take its fields back from whoever edited
        // them. Anything else keeps its other owners unless the caller says otherwise.
        force: ours || req.forceConflicts === true,
        scope: req.scope,
      });
    }
  }
  conflicts.push(...(await foreignObjects(client, { target, apps }, unseen)));
  if (conflicts.length > 0) throw conflictError(conflicts);
  if (dryRun) return { changes, applied: unchanged, writes: 0, drifted, previous };

  const applied: AppliedObject[] = [...unchanged];
  const errors: SlipwayError[] = [];
  const one = async (p: Planned) => {
    try {
      const resource = p.resource ?? (await discovery.require(p.intent.apiVersion, p.intent.kind));
      // A kind a CRD of this apply provides is resolved only now.
      const misplaced = clusterScopedConflict(p.ref, resource, p.intent, p.scope);
      if (misplaced) throw conflictError([misplaced]);
      const out = await applyOne(client, resource, p);
      applied.push(out);
      progress({ type: "object", ref: p.ref, action: p.live ? ChangeAction.Update : ChangeAction.Create });
    } catch (e) {
      if (!isSlipwayError(e)) throw e;
      errors.push(e);
    }
  };
  const first = toApply.filter((p) => FIRST.has(p.intent.kind));
  await Promise.all(first.map(one));
  if (first.some((p) => p.intent.kind === "CustomResourceDefinition")) {
    for (const p of toApply) if (!p.resource) discovery.invalidate(p.intent.apiVersion);
  }
  if (errors.length === 0) {
    // The API server creates a Service through a serial ClusterIP allocation (about 100/s at
    // best here) that slows tenfold when it competes with other work for the API server's CPU:
    // 200 new Services sent alongside everything else took 24 s, alone 2 s. So they get a narrow
    // lane of their own, started at once beside only the cheap configuration kinds, and the rest
    // — autoscalers, routes, budgets, then workloads — follows when that first wave is done
    // (first apply of 200 apps: 21-24 s before, 7-8 s after; `npm run bench -- apply`).
    const rest = toApply.filter((p) => !FIRST.has(p.intent.kind));
    const isNewService = (p: Planned) => p.live === undefined && p.intent.kind === "Service";
    const firstWave = rest.filter((p) => FIRST_WAVE.has(p.intent.kind));
    await Promise.all([
      inPool(firstWave.filter(isNewService), SERVICE_LANE, one),
      Promise.all(firstWave.filter((p) => !isNewService(p)).map(one)),
    ]);
    if (errors.length === 0) {
      // The limiter serves waiting requests first come, first served: sorting the calls orders
      // the sends. The sort is stable, so objects of one kind keep their rendered order.
      const secondWave = rest
        .filter((p) => !FIRST_WAVE.has(p.intent.kind))
        .sort((a, b) => secondWaveRank(a.intent.kind) - secondWaveRank(b.intent.kind));
      await Promise.all(secondWave.map(one));
    }
  }
  if (errors.length === 0) {
    await Promise.all(
      toDelete.map(async (o) => {
        try {
          const resource = await discovery.require(o.apiVersion, o.kind);
          await deleteOne(client, resource, o);
          progress({ type: "object", ref: objectRef(o), action: ChangeAction.Delete });
        } catch (e) {
          if (!isSlipwayError(e)) throw e;
          errors.push(e);
        }
      }),
    );
  }
  if (errors.length > 0) throw combine(errors);
  const writes = applied.filter((a) => a.written).length + toDelete.length;
  return { changes, applied, writes, drifted, previous };
}

/**
 * What stands in the way of creating `unseen` objects: a namespace that is another app's or team's,
 * or an object of the same name that is another target's or not Slipway's. Objects in a namespace
 * that does not exist yet cannot exist either, and are not looked for.
 */
async function foreignObjects(
  client: ApiClient,
  read: { readonly target: string; readonly apps: readonly string[] | undefined },
  unseen: readonly (Unseen & { req: ClusterApplyRequest })[],
): Promise<string[]> {
  if (unseen.length === 0) return [];
  const conflicts: string[] = [];
  const names = [...new Set(unseen.map((u) => u.namespace).filter((n): n is string => n !== undefined))];
  const namespaces = await readNamespaces(client, names);
  const checked = new Set<string>();
  for (const u of unseen) {
    const ns = u.namespace === undefined ? undefined : namespaces.found.get(u.namespace);
    const key = `${u.req.scope.app}|${u.namespace}`;
    if (ns === undefined || checked.has(key)) continue;
    checked.add(key);
    const why = namespaceConflict(ns, u.req.scope);
    if (why !== undefined) conflicts.push(why);
  }
  const lookFor = unseen.filter((u) => u.namespace === undefined || !namespaces.absent.has(u.namespace));
  const existing = await findExisting(client, lookFor, read.target, read.apps);
  for (const u of lookFor) {
    const live = existing.get(u.ref);
    if (live === undefined) continue;
    const mayAdopt = u.req.adopt === true || u.req.forceConflicts === true;
    const why = ownershipConflict(u.ref, live, u.req.scope, mayAdopt);
    if (why !== undefined) conflicts.push(why);
  }
  return conflicts;
}

/**
 * Gives up every field Slipway applied to `o`: an apply of no fields under its manager. Fields
 * another manager also owns keep their values; those only Slipway owned (its labels, the intent
 * hash, anything it added) are removed. How a rollback returns an object the failed revision took
 * over to its owner, rather than deleting something Slipway never created.
 */
export async function handBack(client: ApiClient, r: ResourceInfo, o: KubeObject): Promise<void> {
  const ns = o.metadata.namespace;
  const q = new URLSearchParams({ fieldManager: FIELD_MANAGER });
  const empty = {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: { name: o.metadata.name, ...(ns ? { namespace: ns } : {}) },
  };
  await client.call(
    {
      method: "PATCH",
      path: `${objectPath(r, ns, o.metadata.name)}?${q}`,
      body: JSON.stringify(empty),
      contentType: "application/apply-patch+yaml",
      accept: METADATA_ONLY,
    },
    {
      verb: "patch",
      resource: r.qualified,
      name: o.metadata.name,
      ref: objectRef(o),
      ...(ns ? { namespace: ns } : {}),
    },
  );
}

async function applyOne(client: ApiClient, r: ResourceInfo, p: Planned): Promise<AppliedObject> {
  const ns = p.intent.metadata.namespace;
  const q = new URLSearchParams({ fieldManager: FIELD_MANAGER, force: String(p.force) });
  const res = await client.call(
    {
      method: "PATCH",
      path: `${objectPath(r, ns, p.intent.metadata.name)}?${q}`,
      // JSON is YAML: the apply patch content type accepts it as is.
      body: JSON.stringify(p.intent),
      contentType: "application/apply-patch+yaml",
      // Only the metadata comes back (resourceVersion, generation): less to encode and parse.
      accept: METADATA_ONLY,
    },
    {
      verb: "patch",
      resource: r.qualified,
      name: p.intent.metadata.name,
      ref: p.ref,
      ...(ns ? { namespace: ns } : {}),
    },
  );
  const { metadata } = JSON.parse(res.body) as { metadata: KubeObject["metadata"] };
  const written = p.live === undefined || p.live.metadata.resourceVersion !== metadata.resourceVersion;
  // Not listed (no scope labels), yet the server answered 200, not 201: it was already there.
  const adopted = p.live === undefined ? res.status === 200 : !appliedBySlipway(p.live);
  return { ref: p.ref, object: { ...p.intent, metadata }, written, ...(adopted ? { adopted } : {}) };
}

async function deleteOne(client: ApiClient, r: ResourceInfo, o: KubeObject): Promise<void> {
  const ns = o.metadata.namespace;
  await client.call(
    {
      method: "DELETE",
      path: objectPath(r, ns, o.metadata.name),
      // The uid precondition: never delete a same-named object created since we listed.
      body: JSON.stringify({
        apiVersion: "v1",
        kind: "DeleteOptions",
        propagationPolicy: "Background",
        preconditions: { uid: o.metadata.uid },
      }),
    },
    {
      verb: "delete",
      resource: r.qualified,
      name: o.metadata.name,
      ref: objectRef(o),
      ...(ns ? { namespace: ns } : {}),
    },
    [200, 202, 404],
  );
}

function combine(errors: SlipwayError[]): SlipwayError {
  const [first] = errors;
  if (errors.length === 1 && first) return first;
  return new SlipwayError(
    first?.code ?? ErrorCode.Cluster,
    `${errors.length} objects failed to apply:\n${errors.map((e) => `  - ${e.message}`).join("\n")}`,
    { details: { errors: errors.map((e) => ({ code: e.code, message: e.message, details: e.details })) } },
  );
}

/** Runs `fn` over `items` with at most `width` at a time. */
async function inPool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** What the scope's live ServiceAccount recorded of earlier applies (inventory.ts). */
function recordedFor(live: ReadonlyMap<string, KubeObject>, r: ClusterApplyRequest): InventoryEntry[] {
  for (const o of live.values()) {
    if (o.kind !== "ServiceAccount" || o.metadata.labels?.[SCOPE_LABELS.app] !== r.scope.app) continue;
    const text = o.metadata.annotations?.[INVENTORY_ANNOTATION];
    if (text !== undefined && appliedBySlipway(o)) return parseInventory(text);
  }
  return [];
}

/**
 * The target's live objects of `entries`' kinds and namespaces. A kind the cluster no longer
 * serves has nothing left to prune; one Slipway may not list is said, not fatal (it was so before
 * entries were recorded).
 */
async function listRecorded(
  client: ApiClient,
  discovery: Discovery,
  read: { readonly target: string; readonly apps: readonly string[] | undefined },
  entries: readonly InventoryEntry[],
  progress: (e: DeployProgress) => void,
): Promise<Map<string, KubeObject>> {
  const out = new Map<string, KubeObject>();
  const byKind = new Map<string, InventoryEntry[]>();
  for (const e of entries)
    byKind.set(`${e.apiVersion}|${e.kind}`, [...(byKind.get(`${e.apiVersion}|${e.kind}`) ?? []), e]);
  for (const group of byKind.values()) {
    const first = group[0] as InventoryEntry;
    const r = await discovery.find(first.apiVersion, first.kind);
    if (!r) continue;
    const spaces = [...new Set(group.map((e) => e.namespace).filter((n): n is string => n !== undefined))];
    try {
      for (const [ref, o] of await readLive(client, [r], read.target, spaces, read.apps)) out.set(ref, o);
    } catch (e) {
      if (!(isSlipwayError(e) && e.code === ErrorCode.Forbidden)) throw e;
      progress({
        type: "note",
        text: `${first.kind} objects an earlier deploy applied cannot be listed with these credentials, so none that left the render is pruned: ${e.message.split("\n")[0]}`,
      });
    }
  }
  return out;
}
