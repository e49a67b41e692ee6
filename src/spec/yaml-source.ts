/**
 * A YAML document that remembers where every value came from, so that any problem found later
 * (by the schema, by the merge of overrides, by the renderer) can name `file:line:column`.
 * Pure: takes text, returns data.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { Problem } from "../core/errors.ts";

export type FieldPath = readonly (string | number)[];

export interface YamlSource {
  readonly file: string;
  /** The plain JavaScript value of the document (`undefined` for an empty file). */
  readonly value: unknown;
  /** Syntax problems; when non-empty `value` must not be trusted. */
  readonly syntaxProblems: readonly Problem[];
  /** Position of the value at `path`, or of the nearest ancestor that exists. */
  positionOf(path: FieldPath, options?: { key?: boolean }): { line: number; column: number };
  /** True when the document holds a node (possibly `null`) at exactly `path`. */
  has(path: FieldPath): boolean;
}

export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: false });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const syntaxProblems: Problem[] = [...doc.errors, ...doc.warnings].map((e) => ({
    file,
    ...at(e.pos[0]),
    path: "",
    message: `YAML ${e.code === "DUPLICATE_KEY" ? "duplicate key" : "syntax error"}: ${firstLine(e.message)}`,
    hint:
      e.code === "DUPLICATE_KEY"
        ? "each key may appear once in a map"
        : "fix the YAML syntax at this position",
  }));
  let value: unknown;
  if (syntaxProblems.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // Aliases are resolved only here: an alias without its anchor, or an alias bomb.
      syntaxProblems.push({
        file,
        line: 1,
        column: 1,
        path: "",
        message: `YAML alias error: ${firstLine(error instanceof Error ? error.message : String(error))}`,
        hint: "define each &anchor before its *alias, and avoid deeply nested aliases",
      });
    }
  }

  function walk(path: FieldPath): { node: Node | null; keyNode: Node | null; depth: number } {
    let node: unknown = doc.contents;
    let keyNode: Node | null = null;
    let depth = 0;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
        );
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
    positionOf(path, options = {}) {
      const { node, keyNode, depth } = walk(path);
      const exact = depth === path.length;
      const target = exact && options.key && keyNode ? keyNode : (node ?? keyNode);
      const offset = target?.range?.[0] ?? 0;
      return at(offset);
    },
    has(path) {
      return walk(path).depth === path.length;
    },
  };
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
