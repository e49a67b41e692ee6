/**
 * YAML as the Kubernetes API server reads it. kubectl and the API server turn YAML into JSON with
 * sigs.k8s.io/yaml, which decodes with go-yaml v2: YAML 1.1 scalars (`yes`, `on`, `off`, `y` are
 * booleans; `0755` is octal; `1_000` is a thousand), merge keys (`<<: *base`) expanded in go-yaml's
 * order, and dates
 * left as strings. A checker that reads YAML 1.2 instead judges a different object than the one
 * the cluster runs: `privileged: yes` would be the string "yes" and pass. Pure.
 *
 * Untrusted input is bounded: nesting depth, and how many nodes aliases may add to a document (a
 * 1 KB "billion laughs" file expands to a billion nodes). Values are built with js-yaml from its
 * event stream, which also gives the source offsets that `locate` turns into lines.
 */
import {
  constructFromEvents,
  defineMappingTag,
  defineScalarTag,
  EVENT_ID,
  type Event,
  FAILSAFE_SCHEMA,
  getScalarValue,
  NOT_RESOLVED,
  parseEvents,
  type ScalarEvent,
} from "js-yaml";

/** Deepest nesting of collections accepted; a large CRD schema stays well below it. */
export const MAX_DEPTH = 500;
/** Most nodes aliases may add to one document; hand-written anchors add a few hundred at most. */
export const MAX_ALIAS_EXPANSION = 100_000;

/** A problem with a YAML document, at a 0-based offset into the text that was parsed. */
export class KubeYamlError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

/** A plain `<<` key: where go-yaml v2 merges a mapping in. */
const MERGE = Symbol("<<");
/** Per mapping under construction, the keys a merge wrote (they may be written again). */
const mergedKeys = new WeakMap<object, Set<string>>();

// go-yaml v2's resolve(): the first character decides which forms are tried at all.
const nulls = new Set(["", "~", "null", "Null", "NULL"]);
const trues = new Set(["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]);
const falses = new Set(["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]);
const specialFloats = new Map<string, number>([
  ...[".nan", ".NaN", ".NAN"].map((s) => [s, Number.NaN] as const),
  ...[".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"].map((s) => [s, Number.POSITIVE_INFINITY] as const),
  ...["-.inf", "-.Inf", "-.INF"].map((s) => [s, Number.NEGATIVE_INFINITY] as const),
]);
// Go's strconv.ParseInt(s, 0, 64) syntax (base prefixes 0x, 0o, 0b, and a bare leading 0 for octal).
const goInt = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
// go-yaml v2's yamlStyleFloat.
const goFloat = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

function parseGoInt(sign: string, digits: string): number {
  const lower = digits.toLowerCase();
  const value =
    lower.startsWith("0x") || lower.startsWith("0b") || lower.startsWith("0o")
      ? Number(lower)
      : lower.length > 1 && lower.startsWith("0")
        ? Number.parseInt(lower, 8)
        : Number(lower);
  return sign === "-" && value !== 0 ? -value : value;
}

function resolveInt(source: string): number | typeof NOT_RESOLVED {
  const int = goInt.exec(source.replaceAll("_", ""));
  return int ? parseGoInt(int[1] ?? "", int[2] ?? "") : NOT_RESOLVED;
}

function resolveFloat(source: string): number | typeof NOT_RESOLVED {
  const special = specialFloats.get(source);
  if (special !== undefined) return special;
  // A leading dot is Go's ParseFloat as is; otherwise underscores go first, as for integers.
  const plain = source.startsWith(".") ? source : source.replaceAll("_", "");
  if (!goFloat.test(plain)) return NOT_RESOLVED;
  const value = Number(plain);
  return Number.isFinite(value) ? value : NOT_RESOLVED;
}

// Timestamps (2026-01-01) have no tag here: go-yaml v2 keeps them strings in untyped values.
const kubeTags = [
  defineScalarTag<null>("tag:yaml.org,2002:null", {
    implicit: true,
    implicitFirstChars: ["", "~", "n", "N"],
    resolve: (s, explicit) => (nulls.has(s) || (explicit && s === "") ? null : NOT_RESOLVED),
    identify: (v) => v === null,
  }),
  defineScalarTag<boolean>("tag:yaml.org,2002:bool", {
    implicit: true,
    implicitFirstChars: [..."yYnNtTfFoO"],
    resolve: (s) => (trues.has(s) ? true : falses.has(s) ? false : NOT_RESOLVED),
    identify: (v) => typeof v === "boolean",
  }),
  defineScalarTag<number>("tag:yaml.org,2002:int", {
    implicit: true,
    implicitFirstChars: [..."+-0123456789"],
    resolve: resolveInt,
    identify: (v) => Number.isInteger(v),
  }),
  defineScalarTag<number>("tag:yaml.org,2002:float", {
    implicit: true,
    implicitFirstChars: [..."+-.0123456789"],
    resolve: resolveFloat,
    identify: (v) => typeof v === "number",
  }),
  defineScalarTag<symbol>("tag:slipway.dev,2026:merge", {
    implicit: true,
    implicitFirstChars: ["<"],
    resolve: (s) => (s === "<<" ? MERGE : NOT_RESOLVED),
    identify: () => false,
  }),
  defineMappingTag<Record<string, unknown>>("tag:yaml.org,2002:map", {
    create: () => ({}),
    identify: isMapping,
    addPair: (map, key, value) => {
      if (key === MERGE) return mergeInto(map, value);
      if (key !== null && typeof key === "object") return "a mapping key must be a scalar";
      const name = String(key);
      put(map, name, value === MERGE ? "<<" : value);
      mergedKeys.get(map)?.delete(name);
      return "";
    },
    // A key a merge supplied may be set again; only a key written twice by hand is a duplicate.
    has: (map, key) =>
      key !== MERGE &&
      (key === null || typeof key !== "object") &&
      Object.hasOwn(map, String(key)) &&
      !mergedKeys.get(map)?.has(String(key)),
    keys: (map) => Object.keys(map),
    get: (map, key) => map[String(key)],
  }),
];

const kubeSchema = FAILSAFE_SCHEMA.withTags(kubeTags);

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function put(map: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(map, key, { value, enumerable: true, configurable: true, writable: true });
  } else map[key] = value;
}

/**
 * go-yaml v2's merge: the merged mapping is written into this one where the `<<` stands, so it
 * overwrites keys written before it and later keys overwrite it; of a list of mappings, the first
 * wins. (YAML's merge spec lets every written key win; kubectl and the API server do not.)
 */
function mergeInto(map: Record<string, unknown>, value: unknown): string {
  const sources = Array.isArray(value) ? [...value].reverse() : [value];
  let merged = mergedKeys.get(map);
  for (const source of sources) {
    if (!isMapping(source)) return "a merge key (<<) takes a mapping or a list of mappings";
    if (merged === undefined) {
      merged = new Set();
      mergedKeys.set(map, merged);
    }
    for (const [k, v] of Object.entries(source)) {
      put(map, k, v);
      merged.add(k);
    }
  }
  return "";
}

/** Every document of `text` as the API server would decode it; empty documents are `null`. */
export function loadKubeYaml(text: string): unknown[] {
  return loadKubeYamlEvents(text).values;
}

/** Parsed events of a text, for `lineLocator`; keeping them saves a second parse. */
export type YamlEvents = readonly Event[];

/** `loadKubeYaml`, also handing back the parser's events. */
export function loadKubeYamlEvents(text: string): { values: unknown[]; events: YamlEvents } {
  let events: Event[];
  try {
    events = parseEvents(text, { maxDepth: MAX_DEPTH });
  } catch (error) {
    throw asKubeYamlError(error);
  }
  checkAliasExpansion(events, text);
  try {
    const values = constructFromEvents(events, {
      source: text,
      schema: kubeSchema,
      maxTotalMergeKeys: 100_000,
    });
    return { values, events };
  } catch (error) {
    throw asKubeYamlError(error);
  }
}

function asKubeYamlError(error: unknown): KubeYamlError {
  if (error instanceof Error && "reason" in error && typeof error.reason === "string") {
    const mark = (error as { mark?: { position?: number } }).mark;
    return new KubeYamlError(error.reason, mark?.position ?? 0);
  }
  throw error;
}

/**
 * Counts, per document, the nodes aliases add when expanded (an alias of a node of n nodes adds n),
 * and refuses a document past the limit before anything is built from it. Linear in the events.
 */
function checkAliasExpansion(events: readonly Event[], text: string): void {
  if (!events.some((e) => e.type === EVENT_ID.ALIAS)) return;
  const sizes = new Map<string, number>();
  // One frame per open collection: its node count so far and its anchor name.
  const frames: { size: number; anchor: string | undefined; start: number }[] = [];
  let added = 0;
  const add = (n: number) => {
    const top = frames[frames.length - 1];
    if (top) top.size += n;
  };
  for (const e of events) {
    switch (e.type) {
      case EVENT_ID.DOCUMENT:
        sizes.clear();
        added = 0;
        frames.push({ size: 0, anchor: undefined, start: 0 });
        break;
      case EVENT_ID.SCALAR:
        if (e.anchorStart >= 0) sizes.set(text.slice(e.anchorStart, e.anchorEnd), 1);
        add(1);
        break;
      case EVENT_ID.SEQUENCE:
      case EVENT_ID.MAPPING:
        frames.push({
          size: 1,
          anchor: e.anchorStart >= 0 ? text.slice(e.anchorStart, e.anchorEnd) : undefined,
          start: e.start,
        });
        break;
      case EVENT_ID.ALIAS: {
        const n = sizes.get(text.slice(e.anchorStart, e.anchorEnd)) ?? 1;
        added += n;
        if (added > MAX_ALIAS_EXPANSION) {
          throw new KubeYamlError(
            `aliases expand this document by more than ${MAX_ALIAS_EXPANSION.toLocaleString("en-US")} nodes (a YAML alias bomb?); write the repeated parts out or use fewer aliases`,
            e.anchorStart,
          );
        }
        add(n);
        break;
      }
      case EVENT_ID.POP: {
        const frame = frames.pop();
        if (frame === undefined) break;
        if (frame.anchor !== undefined) sizes.set(frame.anchor, frame.size);
        add(frame.size);
        break;
      }
    }
  }
}

/**
 * A function from a field path to the 1-based line of its node in the first document of `text`
 * (or of its nearest existing parent). The text is parsed once, on the first call; each lookup
 * walks the parser's events. Keys are compared as text, so a path through a merged or aliased
 * part stops at the mapping that holds it.
 */
export function lineLocator(
  text: string,
  parsed?: YamlEvents,
): (path: readonly (string | number)[]) => number {
  let events: YamlEvents | undefined = parsed;
  let lineStarts: number[] | undefined;
  return (path) => {
    try {
      events ??= parseEvents(text, { maxDepth: MAX_DEPTH });
    } catch {
      return 1; // the text parsed once already; a position is a nicety, never a new failure
    }
    lineStarts ??= [...text.matchAll(/\n/g)].map((m) => m.index + 1);
    return lineAt(lineStarts, locateIn(events, text, path));
  };
}

/** 1-based line of `offset`, given the offsets where lines 2, 3, … start. */
function lineAt(lineStarts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = lineStarts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((lineStarts[mid] ?? 0) <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo + 1;
}

function locateIn(events: readonly Event[], text: string, path: readonly (string | number)[]): number {
  let at = events.findIndex((e) => e.type !== EVENT_ID.DOCUMENT);
  if (at < 0) return 0;
  let offset = offsetOf(events[at]);
  for (const segment of path) {
    const node = events[at];
    const next =
      node?.type === EVENT_ID.MAPPING
        ? valueOfKey(events, at, String(segment), text)
        : node?.type === EVENT_ID.SEQUENCE && typeof segment === "number"
          ? itemAt(events, at, segment)
          : undefined;
    if (next === undefined) break;
    at = next;
    offset = offsetOf(events[at]) ?? offset;
  }
  return offset ?? 0;
}

function offsetOf(e: Event | undefined): number | undefined {
  if (e === undefined) return undefined;
  if (e.type === EVENT_ID.SCALAR)
    return e.anchorStart >= 0 ? Math.min(e.anchorStart, e.valueStart) : e.valueStart;
  if (e.type === EVENT_ID.SEQUENCE || e.type === EVENT_ID.MAPPING) return e.start;
  if (e.type === EVENT_ID.ALIAS) return e.anchorStart - 1;
  return undefined;
}

/** Index just past the node that starts at `i`. */
function skip(events: readonly Event[], i: number): number {
  let depth = 0;
  let j = i;
  do {
    const t = events[j]?.type;
    if (t === EVENT_ID.SEQUENCE || t === EVENT_ID.MAPPING) depth++;
    else if (t === EVENT_ID.POP) depth--;
    j++;
  } while (depth > 0 && j < events.length);
  return j;
}

function valueOfKey(events: readonly Event[], map: number, key: string, text: string): number | undefined {
  let j = map + 1;
  while (j < events.length && events[j]?.type !== EVENT_ID.POP) {
    const k = events[j];
    const value = skip(events, j);
    if (k?.type === EVENT_ID.SCALAR && getScalarValue(text, k as ScalarEvent) === key) return value;
    j = skip(events, value);
  }
  return undefined;
}

function itemAt(events: readonly Event[], seq: number, index: number): number | undefined {
  let j = seq + 1;
  for (let n = 0; j < events.length && events[j]?.type !== EVENT_ID.POP; n++) {
    if (n === index) return j;
    j = skip(events, j);
  }
  return undefined;
}
