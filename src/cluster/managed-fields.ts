/**
 * The applied configuration of a field manager: a live object restricted to the fields that
 * manager owns through its server-side `Apply` entry in `metadata.managedFields` — what client-go's
 * `Extract*` functions return. Re-applying it under the same manager is a no-op; applying it after
 * a newer revision takes the object back to it. Pure.
 *
 * The entry's `fieldsV1` is a trie of the owned paths:
 *   - `f:<name>`         a field of a map or struct;
 *   - `k:<json object>`  a list item matched by its key fields (`{"containerPort":80,"protocol":"TCP"}`);
 *   - `v:<json value>`   an item of a set (a list of scalars), by value;
 *   - `i:<index>`        a list item by position;
 *   - `.`                the node itself (beside its children; it adds nothing to what is extracted).
 * An empty `{}` is a leaf: the manager owns the whole value (a scalar, an atomic map or list such as
 * a Service's `selector` or a container's `args`, or an empty map it set).
 *
 * Without the schema this cannot tell a granular map it owns as a whole (`f:x: {}` with `x: {}`
 * applied, and other managers' keys added since) from an atomic one, and takes the whole value —
 * for what Slipway renders the two do not occur together.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { type KubeObject, objectRef } from "../core/kube-object.ts";

interface FieldsTrie {
  readonly [key: string]: FieldsTrie;
}

interface ManagedFieldsEntry {
  readonly manager?: string;
  readonly operation?: string;
  readonly subresource?: string;
  readonly fieldsType?: string;
  readonly fieldsV1?: unknown;
}

/** Set by the server on every object; no manager's apply configuration holds them. */
const SERVER_METADATA = [
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "managedFields",
  "selfLink",
] as const;

/**
 * `live` restricted to what `manager` applied (server-side apply, the object itself, not a
 * subresource), with its apiVersion, kind, name and namespace; undefined when `manager` has no
 * `Apply` entry on it. The fields trie is read as recorded for the entry's apiVersion, which for
 * Slipway is the version it applies and lists in.
 */
export function appliedConfiguration(live: KubeObject, manager: string): KubeObject | undefined {
  const entries = (live.metadata.managedFields ?? []) as readonly ManagedFieldsEntry[];
  const entry = entries.find(
    (e) => e.manager === manager && e.operation === "Apply" && (e.subresource ?? "") === "",
  );
  if (entry === undefined) return undefined;
  const where = objectRef(live);
  if (entry.fieldsType !== undefined && entry.fieldsType !== "FieldsV1") {
    throw malformed(where, "", `fieldsType ${entry.fieldsType}`);
  }
  const fields = trie(entry.fieldsV1 ?? {}, where, "");
  const owned = (pick(live, fields, where, "") ?? {}) as Record<string, unknown>;
  const {
    apiVersion: _apiVersion,
    kind: _kind,
    status: _status,
    metadata: ownedMetadata,
    ...rest
  } = stringDataAsData(live, owned, fields);
  const metadata: Record<string, unknown> = { ...(ownedMetadata as Record<string, unknown> | undefined) };
  for (const key of SERVER_METADATA) delete metadata[key];
  const { name, namespace } = live.metadata;
  return {
    apiVersion: live.apiVersion,
    kind: live.kind,
    metadata: { ...metadata, name, ...(namespace === undefined ? {} : { namespace }) },
    ...rest,
  };
}

/**
 * A Secret applied with `stringData` is recorded under `f:stringData`, but the server stores the
 * values base64-encoded under `data` and never returns `stringData`: the owned keys are read back
 * from `data`, and returned there (base64 is lossless; decoding to a string would not be).
 */
function stringDataAsData(
  live: KubeObject,
  owned: Record<string, unknown>,
  fields: FieldsTrie,
): Record<string, unknown> {
  const keys = fields["f:stringData"];
  if (live.kind !== "Secret" || keys === undefined) return owned;
  const data = (live as { data?: Record<string, unknown> }).data ?? {};
  const restored: Record<string, unknown> = { ...(owned.data as Record<string, unknown> | undefined) };
  for (const key of Object.keys(keys)) {
    if (!key.startsWith("f:")) continue;
    const name = key.slice(2);
    if (Object.hasOwn(data, name)) restored[name] = data[name];
  }
  const { stringData: _stringData, ...rest } = owned;
  return Object.keys(restored).length > 0 ? { ...rest, data: restored } : rest;
}

/** The part of `value` that `fields` names; undefined when none of it is present. */
function pick(value: unknown, fields: FieldsTrie, where: string, path: string): unknown {
  const keys = Object.keys(fields).filter((k) => k !== ".");
  if (keys.length === 0) return value;
  if (Array.isArray(value)) return pickItems(value, fields, keys, where, path);
  if (!isRecord(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (!key.startsWith("f:")) throw malformed(where, path, key);
    const name = key.slice(2);
    if (!Object.hasOwn(value, name)) continue;
    const picked = pick(value[name], fields[key] as FieldsTrie, where, `${path}.${name}`);
    if (picked !== undefined) out[name] = picked;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

interface ItemMatcher {
  readonly fields: FieldsTrie;
  readonly matches: (item: unknown, index: number) => boolean;
  /** A keyed item's key fields: kept even when another manager set them (a defaulted `protocol`). */
  readonly keyFields: readonly string[];
}

function pickItems(
  items: readonly unknown[],
  fields: FieldsTrie,
  keys: readonly string[],
  where: string,
  path: string,
): unknown[] | undefined {
  const matchers = keys.map((key) => itemMatcher(key, fields[key] as FieldsTrie, where, path));
  const out: unknown[] = [];
  items.forEach((item, index) => {
    const m = matchers.find((x) => x.matches(item, index));
    if (m === undefined) return;
    const picked = pick(item, m.fields, where, `${path}[${index}]`);
    if (picked === undefined) return;
    if (m.keyFields.length > 0 && isRecord(picked) && isRecord(item)) {
      const withKeys: Record<string, unknown> = { ...picked };
      for (const k of m.keyFields) if (!Object.hasOwn(withKeys, k)) withKeys[k] = item[k];
      out.push(withKeys);
    } else out.push(picked);
  });
  return out.length > 0 ? out : undefined;
}

function itemMatcher(key: string, fields: FieldsTrie, where: string, path: string): ItemMatcher {
  const body = key.slice(2);
  if (key.startsWith("k:")) {
    const wanted = parseJson(body, where, path, key);
    if (!isRecord(wanted)) throw malformed(where, path, key);
    const entries = Object.entries(wanted);
    return {
      fields,
      keyFields: entries.map(([k]) => k),
      matches: (item) => isRecord(item) && entries.every(([k, v]) => sameJson(item[k], v)),
    };
  }
  if (key.startsWith("v:")) {
    const wanted = parseJson(body, where, path, key);
    return { fields, keyFields: [], matches: (item) => sameJson(item, wanted) };
  }
  if (key.startsWith("i:") && /^\d+$/.test(body)) {
    const wanted = Number(body);
    return { fields, keyFields: [], matches: (_item, index) => index === wanted };
  }
  throw malformed(where, path, key);
}

function trie(raw: unknown, where: string, path: string): FieldsTrie {
  if (!isRecord(raw)) throw malformed(where, path, JSON.stringify(raw));
  const out: Record<string, FieldsTrie> = {};
  for (const [key, child] of Object.entries(raw)) out[key] = trie(child, where, `${path}/${key}`);
  return out;
}

function parseJson(text: string, where: string, path: string, key: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw malformed(where, path, key, cause);
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (!isRecord(a) || !isRecord(b) || Array.isArray(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function malformed(where: string, path: string, key: string, cause?: unknown): SlipwayError {
  return new SlipwayError(
    ErrorCode.Cluster,
    `${where}: cannot read its managedFields at ${path || "the root"}: unexpected ${key}`,
    { details: { ref: where, path, key }, ...(cause === undefined ? {} : { cause }) },
  );
}
