/**
 * What Slipway means to apply, and whether the live object still holds it. Pure.
 *
 * Every applied object is stamped with the scope labels and an annotation holding a hash of the
 * intent. An object is unchanged — and is not sent to the server at all — only when
 *   1. the live hash equals the intent's hash (the intent did not change, fields removed from the
 *      intent included), and
 *   2. Slipway's `Apply` entry is still in its managedFields, and
 *   3. every field of the intent still has the intended value in the live object (drift: an edit
 *      behind Slipway's back, e.g. `kubectl edit`, `kubectl scale`, is re-applied).
 * Check 3 is a subset comparison — the server adds defaults and other managers add fields, which
 * is fine — so it runs over 2,000 listed objects in milliseconds with no extra requests.
 */
import { createHash } from "node:crypto";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { type KubeObject, objectRef } from "../core/kube-object.ts";
import type { DeployScope } from "../delivery/deploy-target.ts";
import { APPLIED_HASH_ANNOTATION, FIELD_MANAGER, SCOPE_LABELS, TEAM_LABEL } from "./cluster.ts";

export function intentHash(o: KubeObject): string {
  const annotations = { ...o.metadata.annotations };
  delete annotations[APPLIED_HASH_ANNOTATION];
  const copy = { ...o, metadata: { ...o.metadata, annotations }, ...secretKeysOnly(o) };
  // Plain JSON, not key-sorted: rendering is deterministic (same input, same objects, same key
  // order), and sorting 2,000 objects' keys cost more than the rest of an unchanged re-apply.
  return createHash("sha256").update(JSON.stringify(copy)).digest("hex").slice(0, 32);
}

/**
 * The hash sits on the live object for anyone who can read it, so a Secret's values stay out of
 * it: a hash of a short password can be reversed by guessing. A changed value is still found, by
 * the value comparison in `driftOf`, and Slipway's own Secrets carry the hash of their encrypted
 * source, which changes with any value.
 */
function secretKeysOnly(o: KubeObject): Partial<Record<"data" | "stringData", Record<string, string>>> {
  if (o.kind !== "Secret") return {};
  const out: Partial<Record<"data" | "stringData", Record<string, string>>> = {};
  for (const field of ["data", "stringData"] as const) {
    const values = o[field] as Record<string, string> | undefined;
    if (values) out[field] = Object.fromEntries(Object.keys(values).map((k) => [k, ""]));
  }
  return out;
}

/**
 * A copy of `o` carrying the scope labels and the intent hash. An object already labelled for a
 * different app or target is a caller bug that pruning would turn into data loss: refuse it.
 * `keepHash`: an object read back from the cluster keeps the hash it was applied with.
 */
export function stampIntent(o: KubeObject, scope: DeployScope, keepHash = false): KubeObject {
  const labels = { ...o.metadata.labels };
  const stamps: [string, string, string][] = [
    [SCOPE_LABELS.app, scope.app, "app"],
    [SCOPE_LABELS.target, scope.target, "target"],
  ];
  if (scope.team !== undefined) stamps.push([TEAM_LABEL, scope.team, "team"]);
  for (const [key, want, what] of stamps) {
    const has = labels[key];
    if (has !== undefined && has !== want) {
      throw new SlipwayError(
        ErrorCode.Input,
        `${objectRef(o)} is labelled ${key}=${has} but is being deployed as ${key}=${want}; render it for this ${what}`,
        { details: { ref: objectRef(o), label: key, has, want } },
      );
    }
    labels[key] = want;
  }
  const { status: _status, ...rest } = o as KubeObject & { status?: unknown };
  const stamped: KubeObject = { ...rest, metadata: { ...o.metadata, labels } };
  const kept = keepHash ? o.metadata.annotations?.[APPLIED_HASH_ANNOTATION] : undefined;
  stamped.metadata.annotations = {
    ...o.metadata.annotations,
    [APPLIED_HASH_ANNOTATION]: kept ?? intentHash(stamped),
  };
  return stamped;
}

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
}

/** Slipway applied this object (its Apply entry is present): Slipway owns it and may prune it. */
export function appliedBySlipway(live: KubeObject): boolean {
  const entries = (live.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  return entries.some((e) => e.manager === FIELD_MANAGER && e.operation === "Apply");
}

/** Why `live` no longer holds `intent`, or undefined when it does. */
export function driftOf(intent: KubeObject, live: KubeObject): string | undefined {
  const want = intent.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
  if (live.metadata.annotations?.[APPLIED_HASH_ANNOTATION] !== want) return "intent changed";
  if (!appliedBySlipway(live)) return "not applied by Slipway";
  const { data, stringData, ...rest } = intent as KubeObject & {
    data?: Record<string, string>;
    stringData?: Record<string, string>;
  };
  const path = mismatch(rest, live, "");
  if (path !== undefined) return `changed at ${path}`;
  // Secrets: the server stores stringData base64-encoded under data.
  const liveData = (live as { data?: Record<string, string> }).data ?? {};
  if (intent.kind === "Secret" && stringData) {
    for (const [k, v] of Object.entries(stringData)) {
      if (liveData[k] !== Buffer.from(v, "utf8").toString("base64")) return "changed at .stringData";
    }
  }
  if (data) {
    const p = mismatch(data, liveData, ".data");
    if (p !== undefined) return `changed at ${intent.kind === "Secret" ? ".data" : p}`;
  }
  return undefined;
}

/** The first path where `want` is not contained in `have`. */
function mismatch(want: unknown, have: unknown, path: string): string | undefined {
  if (want === null || want === undefined) return undefined;
  // The server drops some empty lists and maps it is given (a NetworkPolicy's `ingress: []`):
  // absent and empty mean the same to it, so they must to us, or the object is re-sent forever.
  if (have === undefined && isEmpty(want)) return undefined;
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) return path || ".";
    for (let i = 0; i < want.length; i++) {
      const p = mismatch(want[i], have[i], `${path}[${i}]`);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  if (typeof want === "object") {
    if (have === null || typeof have !== "object" || Array.isArray(have)) return path || ".";
    for (const [k, v] of Object.entries(want as Record<string, unknown>)) {
      const p = mismatch(v, (have as Record<string, unknown>)[k], `${path}.${k}`);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  return want === have ? undefined : path;
}

function isEmpty(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === "object" && v !== null && Object.keys(v).length === 0;
}
