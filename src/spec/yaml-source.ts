/**
 * A YAML document that remembers where every value came from, so that any problem found later
 * (by the schema, by the merge of overrides, by the renderer) can name `file:line:column`.
 * Pure: takes text, returns data.
 *
 * The plain value is built here rather than by the `yaml` package's `toJS`, for three reasons:
 * duplicate keys are found with one set per map (the package compares each key with every earlier
 * one, which took seconds at 20,000 keys); every map keeps an index of its keys, so locating a
 * problem costs the depth of its path, not the size of the file; and a plain scalar that YAML reads
 * as a number or a boolean keeps the text it was written as (`literals`), so a field that wants
 * text can have `1.10` rather than `1.1` (see `literals.ts`).
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseAllDocuments,
  parseDocument,
  Scalar,
  type YAMLMap,
} from "yaml";
import type { Problem } from "../core/errors.ts";

export type FieldPath = readonly (string | number)[];

/** A plain (unquoted) scalar that YAML resolved to a number or a boolean, with its text as written. */
export interface Literal {
  readonly path: FieldPath;
  readonly text: string;
}

export interface YamlSource {
  readonly file: string;
  /** The plain JavaScript value of the document (`undefined` for an empty file). */
  readonly value: unknown;
  /** Syntax problems; when non-empty `value` must not be trusted. */
  readonly syntaxProblems: readonly Problem[];
  /** Plain scalars read as numbers or booleans, in document order. */
  readonly literals: readonly Literal[];
  /** Position of the value at `path`, or of the nearest ancestor that exists. */
  positionOf(path: FieldPath, options?: { key?: boolean }): { line: number; column: number };
  /** True when the document holds a node (possibly `null`) at exactly `path`. */
  has(path: FieldPath): boolean;
}

/** Aliases may expand to at most this many nodes in all: a few bytes of anchors cannot become gigabytes. */
const MAX_ALIAS_EXPANSION = 100_000;

export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: false });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    // linePos answers line 0 only before the first line start, i.e. for an empty text.
    return { line: Math.max(line, 1), column: Math.max(col, 1) };
  };
  const syntaxProblems: Problem[] = [...doc.errors, ...doc.warnings].map((e) =>
    e.code === "MULTIPLE_DOCS"
      ? {
          file,
          ...at(e.pos[0]),
          path: "",
          message: `${baseName(file)} holds one document; found ${parseAllDocuments(text).length}, the second at line ${at(e.pos[0]).line}`,
          hint: "remove the `---` line and what follows, or move it to a file of its own",
        }
      : {
          file,
          ...at(e.pos[0]),
          path: "",
          message: `YAML syntax error: ${firstLine(e.message)}`,
          hint: "fix the YAML syntax at this position",
        },
  );

  const keyIndex = new WeakMap<YAMLMap, Map<string, Pair>>();
  const literals: Literal[] = [];
  let value: unknown;
  if (syntaxProblems.length === 0) {
    const built = buildValue(doc.contents, keyIndex, literals);
    for (const p of built.problems) {
      const hint =
        p.firstOffset === undefined ? p.hint : `${p.hint}; it is already at line ${at(p.firstOffset).line}`;
      syntaxProblems.push({ file, ...at(p.offset), path: p.path, message: p.message, hint });
    }
    value = built.value;
  }

  function walk(path: FieldPath): { node: Node | null; keyNode: Node | null; depth: number } {
    let node: unknown = doc.contents;
    let keyNode: Node | null = null;
    let depth = 0;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = (keyIndex.get(node) ?? indexKeys(node)).get(String(segment));
        if (!pair) break;
        keyNode = pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === "number" && segment < node.items.length) {
        keyNode = null;
        node = node.items[segment];
      } else {
        break;
      }
      depth++;
    }
    return { node: (node as Node | null) ?? null, keyNode, depth };
  }

  return {
    file,
    value,
    syntaxProblems,
    literals,
    positionOf(path, options = {}) {
      const { node, keyNode, depth } = walk(path);
      const exact = depth === path.length;
      const target = exact && options.key && keyNode ? keyNode : (node ?? keyNode);
      return at(target?.range?.[0] ?? 0);
    },
    has(path) {
      return walk(path).depth === path.length;
    },
  };
}

interface BuildProblem {
  offset: number;
  path: string;
  message: string;
  hint: string;
  /** For a duplicate key: where the key first appears. */
  firstOffset?: number;
}

/** The document as plain data, with duplicate keys, non-text keys and alias bombs reported. */
function buildValue(
  root: unknown,
  keyIndex: WeakMap<YAMLMap, Map<string, Pair>>,
  literals: Literal[],
): { value: unknown; problems: BuildProblem[] } {
  const problems: BuildProblem[] = [];
  const anchors = new Map<string, Node>();
  const built = new WeakMap<Node, { value: unknown; size: number }>();
  let expanded = 0;
  let aliasTooLarge = false;

  function build(node: unknown, path: (string | number)[]): { value: unknown; size: number } {
    if (node === null || node === undefined) return { value: null, size: 1 };
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) {
        problems.push({
          offset: node.range?.[0] ?? 0,
          path: formatPath(path),
          message: `YAML alias *${node.source} has no anchor before it`,
          hint: "define each &anchor before its *alias",
        });
        return { value: null, size: 1 };
      }
      // A scalar is read again at this path, so its literal text is kept here too.
      if (isScalar(target)) return build(target, path);
      const result = built.get(target) ?? { value: null, size: 1 };
      expanded += result.size;
      if (expanded > MAX_ALIAS_EXPANSION && !aliasTooLarge) {
        aliasTooLarge = true;
        problems.push({
          offset: node.range?.[0] ?? 0,
          path: formatPath(path),
          message: `YAML aliases expand to more than ${MAX_ALIAS_EXPANSION} values`,
          hint: "write the values out, or use fewer nested aliases",
        });
      }
      return aliasTooLarge ? { value: null, size: 1 } : result;
    }
    let result: { value: unknown; size: number };
    if (isScalar(node)) {
      const scalarValue = node.value;
      if (
        node.type === Scalar.PLAIN &&
        (typeof scalarValue === "number" || typeof scalarValue === "boolean") &&
        node.source !== undefined
      ) {
        literals.push({ path: [...path], text: node.source });
      }
      result = { value: scalarValue, size: 1 };
    } else if (isMap(node)) {
      const out: Record<string, unknown> = {};
      const index = new Map<string, Pair>();
      keyIndex.set(node, index);
      let size = 1;
      for (const pair of node.items) {
        const key = keyText(pair.key);
        const keyOffset =
          (pair.key as Node | null)?.range?.[0] ?? (pair.value as Node | null)?.range?.[0] ?? 0;
        if (key === undefined) {
          problems.push({
            offset: keyOffset,
            path: formatPath(path),
            message: "a map key must be text, not a list, a map or an alias",
            hint: "write the key as plain text",
          });
          continue;
        }
        const first = index.get(key);
        if (first) {
          problems.push({
            offset: keyOffset,
            path: formatPath([...path, key]),
            message: `YAML duplicate key \`${key}\``,
            hint: "each key may appear once in a map",
            firstOffset: (first.key as Node | null)?.range?.[0] ?? 0,
          });
          continue;
        }
        index.set(key, pair as Pair);
        const child = build(pair.value, [...path, key]);
        // defineProperty: a key such as `__proto__` stays data and never becomes the prototype.
        Object.defineProperty(out, key, {
          value: child.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        size += child.size;
      }
      result = { value: out, size };
    } else if (isSeq(node)) {
      const out: unknown[] = [];
      let size = 1;
      node.items.forEach((item, i) => {
        const child = build(item, [...path, i]);
        out.push(child.value);
        size += child.size;
      });
      result = { value: out, size };
    } else {
      result = { value: null, size: 1 };
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) {
      anchors.set(anchor, node as Node);
      built.set(node as Node, result);
    }
    return result;
  }

  const { value } = build(root, []);
  return { value, problems };
}

/** The key as text: a plain key keeps its spelling (`010` stays `010`); lists, maps, aliases are not keys. */
function keyText(key: unknown): string | undefined {
  if (key === null || key === undefined) return "";
  if (!isScalar(key)) return undefined;
  if (key.type === Scalar.PLAIN && key.source !== undefined) return key.source;
  return String(key.value);
}

function indexKeys(node: YAMLMap): Map<string, Pair> {
  const index = new Map<string, Pair>();
  for (const pair of node.items) {
    if (!isPair(pair)) continue;
    const key = keyText(pair.key);
    if (key !== undefined && !index.has(key)) index.set(key, pair as Pair);
  }
  return index;
}

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() || file;
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}

export function formatPath(path: FieldPath): string {
  let out = "";
  for (const segment of path) {
    out += typeof segment === "number" ? `[${segment}]` : out === "" ? segment : `.${segment}`;
  }
  return out;
}
