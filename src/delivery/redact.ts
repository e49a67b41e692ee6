/**
 * Secret values never reach a diff, a log line or a stored plan. A Secret's `data` and
 * `stringData` values are replaced by a marker; when two versions of a Secret are compared, the
 * newer one says which keys changed, so a reviewer still sees *that* a value changed, never what
 * it was or became. Where both copies are SOPS-encrypted (a GitOps repository), every ciphertext
 * differs once one value changes, so the keys' digests (`slipway.dev/secret-digests`) say which
 * values changed, and the SOPS block keeps only what names its keys: a new data key, MAC and time
 * are no change a reviewer can read.
 */
import type { KubeObject } from "../core/kube-object.ts";
import { SECRET_DIGESTS_ANNOTATION } from "./materialize-secrets.ts";

export const REDACTED = "<redacted>";
export const REDACTED_CHANGED = "<redacted, changed>";

/** kubectl copies the whole object, values included, into this annotation. */
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
const VALUE_FIELDS = ["data", "stringData"] as const;
/** What SOPS writes anew at each encryption: the wrapped data key, its time, the MAC and the file's time. */
const SOPS_PER_ENCRYPTION = new Set(["enc", "created_at", "mac", "lastmodified"]);

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
  const digests = digestsOf(o);
  const oldDigests = previous === undefined ? undefined : digestsOf(previous);
  for (const field of VALUE_FIELDS) {
    const values = o[field];
    if (values === undefined || values === null) continue;
    const old = previous === undefined ? undefined : asRecord(previous[field]);
    const changed = (key: string, value: unknown): boolean =>
      old !== undefined &&
      key in old &&
      (digests !== undefined && oldDigests !== undefined
        ? digests.get(key) !== oldDigests.get(key)
        : old[key] !== value);
    copy[field] = Object.fromEntries(
      Object.entries(asRecord(values) ?? {}).map(([key, value]) => [
        key,
        changed(key, value) ? REDACTED_CHANGED : REDACTED,
      ]),
    );
  }
  const annotations = o.metadata.annotations;
  if (annotations?.[LAST_APPLIED] !== undefined || digests !== undefined) {
    copy.metadata.annotations = {
      ...annotations,
      ...(annotations?.[LAST_APPLIED] === undefined ? {} : { [LAST_APPLIED]: REDACTED }),
      // The data lines say which values changed; the digests themselves mean nothing to a reader.
      ...(digests === undefined ? {} : { [SECRET_DIGESTS_ANNOTATION]: `<${digests.size} value digests>` }),
    };
  }
  if (o.sops !== undefined) copy.sops = withoutPerEncryption(o.sops);
  return copy;
}

function digestsOf(o: KubeObject): Map<string, string> | undefined {
  const text = o.metadata.annotations?.[SECRET_DIGESTS_ANNOTATION];
  if (text === undefined) return undefined;
  return new Map(
    text
      .split(",")
      .filter(Boolean)
      .map((pair) => {
        const at = pair.lastIndexOf("=");
        return [pair.slice(0, at), pair.slice(at + 1)] as const;
      }),
  );
}

function withoutPerEncryption(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPerEncryption);
  const record = asRecord(value);
  if (record === undefined) return value;
  return Object.fromEntries(
    Object.entries(record)
      .filter(([key]) => !SOPS_PER_ENCRYPTION.has(key))
      .map(([key, v]) => [key, withoutPerEncryption(v)]),
  );
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
