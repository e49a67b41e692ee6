/**
 * A live object as a diff should show it. The API server adds a lot to what Slipway applied:
 * `status`, `uid`, `managedFields`, and defaults such as `dnsPolicy` or `terminationMessagePath`.
 * Shown as they are, they would drown the one line that really changes. So a live object is
 * projected onto the rendered one: only fields the render speaks about are kept. (A field Slipway
 * stops setting therefore does not show as removed; server-side apply removes it only when
 * Slipway owned it, which the cluster adapter decides.) A GitOps file is not live and is shown
 * whole.
 */
import type { KubeObject } from "../core/kube-object.ts";
import type { ObjectChange } from "./deploy-target.ts";

const SERVER_METADATA = [
  "managedFields",
  "resourceVersion",
  "uid",
  "generation",
  "creationTimestamp",
  "selfLink",
];

export function isLive(o: KubeObject): boolean {
  return o.metadata.resourceVersion !== undefined;
}

export interface LiveViewOptions {
  /** Bookkeeping annotations a target stamps on what it applies (e.g. a hash of the intent). */
  readonly hideAnnotations?: readonly string[];
}

/** `change` with its `before` reduced to what a reader should compare; other changes as they are. */
export function liveView(change: ObjectChange, options: LiveViewOptions = {}): ObjectChange {
  const hidden = options.hideAnnotations ?? [];
  const after = withoutAnnotations(change.after, hidden);
  const before = viewOfBefore(withoutAnnotations(change.before, hidden), after);
  return {
    ref: change.ref,
    action: change.action,
    ...(before === undefined ? {} : { before }),
    ...(after === undefined ? {} : { after }),
  };
}

function viewOfBefore(before: KubeObject | undefined, after: KubeObject | undefined): KubeObject | undefined {
  if (before === undefined || !isLive(before)) return before;
  if (after !== undefined) return project(before, after) as KubeObject;
  const { status: _status, ...rest } = before;
  const metadata = Object.fromEntries(
    Object.entries(before.metadata).filter(([k]) => !SERVER_METADATA.includes(k)),
  );
  return { ...rest, metadata: metadata as KubeObject["metadata"] };
}

function withoutAnnotations(o: KubeObject | undefined, hidden: readonly string[]): KubeObject | undefined {
  const annotations = o?.metadata.annotations;
  if (o === undefined || annotations === undefined || hidden.length === 0) return o;
  const kept = Object.fromEntries(Object.entries(annotations).filter(([key]) => !hidden.includes(key)));
  const { annotations: _all, ...metadata } = o.metadata;
  return { ...o, metadata: Object.keys(kept).length === 0 ? metadata : { ...metadata, annotations: kept } };
}

function project(live: unknown, desired: unknown): unknown {
  if (isMap(live) && isMap(desired)) {
    return Object.fromEntries(
      Object.entries(live)
        .filter(([key]) => key in desired)
        .map(([key, value]) => [key, project(value, desired[key])]),
    );
  }
  if (Array.isArray(live) && Array.isArray(desired) && live.length === desired.length) {
    return live.map((item, i) => project(item, desired[i]));
  }
  return live;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
