/**
 * Flat formats (dotenv, INI) cannot nest, so `sops` writes its metadata flattened: `age__list_0__map_enc`
 * (with a `sops_` prefix in dotenv) and rebuilds the tree on load. Map keys come back sorted.
 */
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { MAX_NESTING, tooDeep } from "./limits.ts";
import { isComment, type Scalar, type TreeMap, type TreeValue } from "./tree.ts";

const MAP = "__map_";
const LIST = "__list_";

export function flatten(map: TreeMap, prefix: string): [string, Scalar][] {
  const out: [string, Scalar][] = [];
  const seen = new Set<string>();
  const descend = (value: TreeValue, key: string): void => {
    if (value.kind === "map") {
      for (const e of value.entries) if (!isComment(e)) descend(e.value, `${key}${MAP}${e.key}`);
      return;
    }
    if (value.kind === "list") {
      let i = 0;
      for (const item of value.items) if (item.kind !== "comment") descend(item, `${key}${LIST}${i++}`);
      return;
    }
    if (seen.has(key))
      throw new SlipwayError(ErrorCode.Input, `key collision "${key}" while flattening metadata`);
    seen.add(key);
    out.push([key, value]);
  };
  for (const e of map.entries) if (!isComment(e)) descend(e.value, `${prefix}${e.key}`);
  return out;
}

type Token = { map: string } | { list: number };

function tokenize(path: string): Token[] {
  const tokens: Token[] = [];
  let rest = path;
  let kind: "map" | "list" = "map";
  for (;;) {
    const m = rest.indexOf(MAP);
    const l = rest.indexOf(LIST);
    const next = [m, l].filter((i) => i >= 0).sort((a, b) => a - b)[0];
    const part = next === undefined ? rest : rest.slice(0, next);
    tokens.push(kind === "map" ? { map: part } : { list: Number(part) });
    if (next === undefined) return tokens;
    kind = next === m ? "map" : "list";
    rest = rest.slice(next + (kind === "map" ? MAP.length : LIST.length));
  }
}

interface Node {
  value?: Scalar;
  keys?: Map<string, Node>;
  indices?: Map<number, Node>;
}

export function unflatten(entries: readonly [string, Scalar][], file = "metadata"): TreeMap {
  const root: Node = {};
  for (const [key, value] of entries) {
    let node = root;
    const tokens = tokenize(key);
    if (tokens.length > MAX_NESTING) throw tooDeep(`${file}: metadata key ${key.slice(0, 80)}…`);
    for (const t of tokens) {
      if ("map" in t) {
        node.keys ??= new Map();
        node = node.keys.get(t.map) ?? (node.keys.set(t.map, {}).get(t.map) as Node);
      } else {
        node.indices ??= new Map();
        node = node.indices.get(t.list) ?? (node.indices.set(t.list, {}).get(t.list) as Node);
      }
    }
    if (node.value) throw new SlipwayError(ErrorCode.SecretIntegrity, `duplicate metadata key "${key}"`);
    node.value = value;
  }
  return convert(root) as TreeMap;
}

function convert(node: Node): TreeValue {
  if (node.value) return node.value;
  if (node.indices && node.indices.size > 0) {
    const n = node.indices.size;
    const items: TreeValue[] = [];
    for (let i = 0; i < n; i++) {
      const child = node.indices.get(i);
      if (!child) throw new SlipwayError(ErrorCode.SecretIntegrity, "incomplete list in flattened metadata");
      items.push(convert(child));
    }
    return { kind: "list", items };
  }
  const keys = [...(node.keys?.keys() ?? [])].sort();
  return { kind: "map", entries: keys.map((key) => ({ key, value: convert(node.keys?.get(key) as Node) })) };
}
