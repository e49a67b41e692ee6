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

/** `change` with its `before` reduced to what a reader should compare; other changes as they are. */
export function liveView(change: ObjectChange): ObjectChange {
  const { before, after } = change;
  if (before === undefined || !isLive(before)) return change;
  if (after !== undefined) return { ...change, before: project(before, after) as KubeObject };
  const { status: _status, ...rest } = before;
  const metadata = Object.fromEntries(
    Object.entries(before.metadata).filter(([k]) => !SERVER_METADATA.includes(k)),
  );
  return { ...change, before: { ...rest, metadata: metadata as KubeObject["metadata"] } };
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
