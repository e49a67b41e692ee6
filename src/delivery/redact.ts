/**
 * Secret values never reach a diff, a log line or a stored plan. A Secret's `data` and
 * `stringData` values are replaced by a marker; when two versions of a Secret are compared, the
 * newer one says which keys changed, so a reviewer still sees *that* a value changed, never what
 * it was or became.
 */
import type { KubeObject } from "../core/kube-object.ts";

export const REDACTED = "<redacted>";
export const REDACTED_CHANGED = "<redacted, changed>";

/** kubectl copies the whole object, values included, into this annotation. */
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
const VALUE_FIELDS = ["data", "stringData"] as const;

export function isSecret(o: KubeObject): boolean {
  return o.kind === "Secret" && (o.apiVersion === "v1" || o.apiVersion === undefined);
}

/** A copy of `o` with every secret value replaced by `REDACTED`; non-Secrets are returned as they are. */
export function redactSecret(o: KubeObject): KubeObject {
  return redactAgainst(o, undefined);
}

/** Redacts both sides of a change; values of `after` that differ from `before` read `REDACTED_CHANGED`. */
export function redactPair(
  before: KubeObject | undefined,
  after: KubeObject | undefined,
): { before: KubeObject | undefined; after: KubeObject | undefined } {
  return {
    before: before === undefined ? undefined : redactAgainst(before, undefined),
    after: after === undefined ? undefined : redactAgainst(after, before),
  };
}

function redactAgainst(o: KubeObject, previous: KubeObject | undefined): KubeObject {
  if (!isSecret(o)) return o;
  const copy: KubeObject = { ...o, metadata: { ...o.metadata } };
  for (const field of VALUE_FIELDS) {
    const values = o[field];
    if (values === undefined || values === null) continue;
    const old = previous === undefined ? undefined : asRecord(previous[field]);
    copy[field] = Object.fromEntries(
      Object.entries(asRecord(values) ?? {}).map(([key, value]) => [
        key,
        old === undefined || !(key in old) || old[key] === value ? REDACTED : REDACTED_CHANGED,
      ]),
    );
  }
  const annotations = o.metadata.annotations;
  if (annotations?.[LAST_APPLIED] !== undefined) {
    copy.metadata.annotations = { ...annotations, [LAST_APPLIED]: REDACTED };
  }
  return copy;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
