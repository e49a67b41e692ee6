/**
 * YAML: read with the `yaml` Document API so comments, key order and scalar types survive, and
 * written the way `sops` writes (its yaml.v3 encoder): block style, sequences indented, no line
 * folding, comments re-attached as head, line and foot comments, indentation 4 unless configured.
 * Types follow yaml.v3's reading of plain scalars: ints (any size, so bigint), floats, booleans,
 * null; timestamps stay strings.
 */
import {
  Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  Pair,
  parseAllDocuments,
  type ScalarTag,
  YAMLMap,
  YAMLSeq,
  Scalar as YamlScalar,
} from "yaml";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { goFormatFloatG } from "./go-number.ts";
import { MAX_NESTING, tooDeep } from "./limits.ts";
import {
  type Branch,
  type Comment,
  comment,
  type MapEntry,
  type TreeList,
  type TreeMap,
  type TreeValue,
} from "./tree.ts";
import { goTimestamp } from "./yaml-time.ts";

export const DEFAULT_YAML_INDENT = 4;

/** Numbers in the tree are floats (ints are bigints); yaml.v3 writes them with Go's 'g' format. */
const goFloatTag: ScalarTag = {
  identify: (value) => typeof value === "number",
  default: true,
  tag: "tag:yaml.org,2002:float",
  // Output only: a `test` that never matches keeps it out of parsing but ahead of the core tags.
  test: /(?!)/,
  resolve: (text: string) => Number(text),
  stringify: ({ value }) => {
    const text = goFormatFloatG(value as number);
    return { "+Inf": ".inf", "-Inf": "-.inf", NaN: ".nan" }[text] ?? text;
  },
};

/** Strings yaml.v3 quotes because YAML 1.1 would read them as timestamps or booleans. */
const GO_QUOTED = /^(\d{4}-\d\d?-\d\d?([Tt ].*)?|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

function commentLines(text: string | null | undefined, inline = false): Comment[] {
  if (!text) return [];
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => comment(line, inline));
}

function invalid(file: string, node: Node | null, message: string): SlipwayError {
  const offset = node?.range?.[0];
  return new SlipwayError(
    ErrorCode.Input,
    `${file}: ${message}${offset === undefined ? "" : ` (at offset ${offset})`}`,
  );
}

function scalarValue(node: YamlScalar, file: string): TreeValue {
  const v = node.value;
  if (v === null || v === undefined) return { kind: "null" };
  if (typeof v === "bigint") return { kind: "int", value: v.toString() };
  if (typeof v === "number") {
    // The core schema reads `7` as an int; only a bigint-less number here is a float.
    return { kind: "float", value: v };
  }
  if (typeof v === "boolean") return { kind: "bool", value: v };
  if (typeof v === "string") {
    if (node.type === "PLAIN") {
      const time = goTimestamp(v);
      if (time !== undefined) return { kind: "time", value: time };
    }
    return { kind: "str", value: v };
  }
  if (v instanceof Uint8Array) return { kind: "bytes", value: v };
  throw invalid(file, node, `unsupported YAML value of type ${typeof v}`);
}

/** A comment with the column it starts at, to place it the way yaml.v3 (and so sops) does. */
interface Placed {
  readonly comment: Comment;
  readonly col: number;
}

interface Source {
  readonly text: string;
  readonly file: string;
}

function columnAt(text: string, offset: number): number {
  return offset - (text.lastIndexOf("\n", offset - 1) + 1);
}

/**
 * The comment lines after a collection's last item, with their columns, read from the source: the
 * `yaml` library merges them into the innermost collection, while yaml.v3 gives a comment to the
 * innermost block whose indentation it reaches. The caller keeps those at or right of its own
 * column and passes the rest up.
 */
function trailingComments(node: Node, src: Source): Placed[] {
  const [, valueEnd, nodeEnd] = node.range ?? [0, 0, 0];
  if (!(node as { comment?: string | null }).comment || nodeEnd <= valueEnd) return [];
  const placed: Placed[] = [];
  for (const line of src.text.slice(valueEnd, nodeEnd).split("\n")) {
    const m = /^([ \t]*)#(.*)$/.exec(line);
    if (m) placed.push({ comment: comment(m[2] ?? ""), col: (m[1] ?? "").length });
  }
  return placed;
}

/** True when the text between a key and its collection value holds a comment (`key: # note`). */
function keyLineComment(src: Source, key: Node, value: Node): boolean {
  const from = key.range?.[1] ?? 0;
  const to = value.range?.[0] ?? 0;
  const between = src.text.slice(from, to);
  const hash = between.indexOf("#");
  return hash >= 0 && !between.slice(0, hash).includes("\n");
}

interface Built {
  readonly value: TreeValue;
  /** Comments that belong to an enclosing collection (they sit left of this one's column). */
  readonly up: Placed[];
}

function settle(
  placed: readonly Placed[],
  col: number,
  into: (Comment | MapEntry | TreeValue)[],
  up: Placed[],
): void {
  for (const p of placed) {
    if (p.col >= col) into.push(p.comment);
    else up.push(p);
  }
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  return `${before.split("\n").length}:${offset - before.lastIndexOf("\n")}`;
}

/**
 * `skipHead`: how many of the node's own head comments the caller has already placed. `depth`
 * counts the collections around the node (bounded: see limits.ts).
 */
function toTree(node: unknown, src: Source, head: Comment[], skipHead = 0, depth = 0): Built {
  const { file } = src;
  if (isAlias(node)) throw invalid(file, node, "YAML aliases are not supported in encrypted files");
  if (isMap(node) || isSeq(node)) {
    if (depth >= MAX_NESTING) throw tooDeep(`${file}:${lineCol(src.text, node.range?.[0] ?? 0)}`);
    const own = commentLines(node.commentBefore).slice(skipHead);
    const col = columnAt(src.text, node.range?.[0] ?? 0);
    const up: Placed[] = [];
    if (isMap(node)) {
      const entries: (MapEntry | Comment)[] = [...head, ...own];
      // Checked here with a set: the yaml library's own check compares every pair of keys.
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key;
        if (!isScalar(key) || (typeof key.value !== "string" && typeof key.value !== "bigint")) {
          throw invalid(file, key as Node, "only scalar map keys are supported");
        }
        const name = String(key.value);
        if (seen.has(name)) {
          throw new SlipwayError(
            ErrorCode.Input,
            `${file}:${lineCol(src.text, key.range?.[0] ?? 0)}: duplicate key ${JSON.stringify(name)}; map keys must be unique`,
          );
        }
        seen.add(name);
        entries.push(...commentLines(key.commentBefore));
        const value = pair.value;
        if (isScalar(value) || value === null) {
          if (isScalar(value))
            entries.push(...commentLines(value.commentBefore), ...commentLines(value.comment, true));
          entries.push({
            key: String(key.value),
            value: value === null ? { kind: "null" } : scalarValue(value, file),
          });
        } else {
          // `key: # note` above a block collection is the key's line comment: it stays at this level.
          const lineComment = !(value as { flow?: boolean }).flow && keyLineComment(src, key, value as Node);
          if (lineComment)
            entries.push(
              ...commentLines((value as Node & { commentBefore?: string }).commentBefore).slice(0, 1),
            );
          const child = toTree(value, src, [], lineComment ? 1 : 0, depth + 1);
          entries.push({ key: String(key.value), value: child.value });
          settle(child.up, col, entries, up);
        }
        entries.push(...commentLines(key.comment));
      }
      settle(trailingComments(node, src), col, entries, up);
      return { value: { kind: "map", entries }, up };
    }
    const items: (TreeValue | Comment)[] = [...head, ...own];
    // A flow sequence's line comment (`key: [a, b] # note`) opens the list in yaml.v3.
    if (node.flow) items.push(...commentLines(node.comment));
    for (const item of node.items) {
      if (isScalar(item)) {
        items.push(
          ...commentLines(item.commentBefore),
          ...commentLines(item.comment, true),
          scalarValue(item, file),
        );
      } else if (item === null) {
        items.push({ kind: "null" });
      } else {
        // Comments above a map item stay in the map (yaml.v3: its first key's head comment).
        const child = toTree(item, src, [], 0, depth + 1);
        items.push(child.value);
        settle(child.up, col, items, up);
      }
    }
    if (!node.flow) {
      // yaml.v3 gives comments after a list whose last item is a map to that map (its foot).
      const last = items[items.length - 1];
      const into = last && last.kind === "map" ? last.entries : items;
      settle(trailingComments(node, src), col, into, up);
    }
    return { value: { kind: "list", items }, up };
  }
  if (isScalar(node)) return { value: scalarValue(node, file), up: [] };
  throw invalid(file, null, "unsupported YAML node");
}

export function parseYaml(text: string, file: string): Branch[] {
  // Keys are checked for uniqueness in toTree, in linear time.
  const docs = parseAllDocuments(text, { intAsBigInt: true, uniqueKeys: false });
  if (!Array.isArray(docs)) return [];
  const branches: Branch[] = [];
  for (const doc of docs) {
    const [error] = doc.errors;
    if (error) {
      const [line, col] = error.linePos?.[0] ? [error.linePos[0].line, error.linePos[0].col] : [0, 0];
      // The yaml library recurses once per level and reports running out of stack as an error.
      if (error.message.includes("Maximum call stack size exceeded")) throw tooDeep(`${file}:${line}:${col}`);
      throw new SlipwayError(ErrorCode.Input, `${file}:${line}:${col}: ${error.message.split("\n")[0]}`);
    }
    const head = commentLines(doc.commentBefore);
    const contents = doc.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) {
      branches.push({ kind: "map", entries: [...head, ...commentLines(doc.comment)] });
      continue;
    }
    if (isSeq(contents)) throw invalid(file, contents, "YAML documents that are sequences are not supported");
    if (!isMap(contents))
      throw invalid(file, contents as Node, "YAML documents that are single values are not supported");
    const built = toTree(contents, { text, file }, head);
    const tree = built.value as TreeMap;
    tree.entries.push(...built.up.map((p) => p.comment), ...commentLines(doc.comment));
    branches.push(tree);
  }
  return branches;
}

function joinComments(comments: readonly Comment[]): string {
  return comments.map((c) => c.value).join("\n");
}

function scalarNode(value: Exclude<TreeValue, TreeMap | TreeList>): Node {
  switch (value.kind) {
    case "null":
      return new YamlScalar(null);
    case "int": {
      const node = new YamlScalar(BigInt(value.value));
      return node;
    }
    case "float":
      return new YamlScalar(value.value); // written by goFloatTag
    case "time":
      return new YamlScalar(value.value); // plain, so it reads back as a timestamp
    case "bool":
      return new YamlScalar(value.value);
    case "bytes":
      return new YamlScalar(Buffer.from(value.value).toString("utf8"));
    default: {
      const node = new YamlScalar(value.value);
      if (value.value.includes("\n")) node.type = "BLOCK_LITERAL";
      else if (GO_QUOTED.test(value.value)) node.type = "QUOTE_DOUBLE";
      return node;
    }
  }
}

function toNode(value: TreeValue): Node {
  if (value.kind === "map") return mapNode(value);
  if (value.kind === "list") return seqNode(value);
  return scalarNode(value);
}

function mapNode(map: TreeMap): YAMLMap {
  const node = new YAMLMap();
  let head: Comment[] = [];
  let inline: Comment[] = [];
  for (const entry of map.entries) {
    if ("kind" in entry) {
      (entry.inline ? inline : head).push(entry);
      continue;
    }
    const key = new YamlScalar(entry.key);
    if (GO_QUOTED.test(entry.key)) key.type = "QUOTE_DOUBLE";
    if (head.length > 0) {
      // Comments before the first key belong to the map itself: written above a list item's dash.
      if (node.items.length === 0) node.commentBefore = joinComments(head);
      else key.commentBefore = joinComments(head);
    }
    const value = toNode(entry.value);
    if (inline.length > 0) {
      if (isScalar(value)) value.comment = joinComments(inline);
      else key.comment = joinComments(inline);
    }
    head = [];
    inline = [];
    node.items.push(new Pair(key, value));
  }
  const rest = [...head, ...inline];
  if (rest.length > 0) node.comment = joinComments(rest);
  return node;
}

function seqNode(list: TreeList): YAMLSeq {
  const node = new YAMLSeq();
  let head: Comment[] = [];
  let inline: Comment[] = [];
  for (const item of list.items) {
    if (item.kind === "comment") {
      (item.inline ? inline : head).push(item);
      continue;
    }
    const child = toNode(item);
    if (isMap(child)) {
      for (const pair of child.items)
        if (isScalar(pair.value)) Object.assign(pair.value, { [IN_LIST_ITEM_MAP]: true });
    }
    if (head.length > 0) child.commentBefore = joinComments(head);
    if (inline.length > 0) child.comment = joinComments(inline);
    head = [];
    inline = [];
    node.items.push(child);
  }
  const rest = [...head, ...inline];
  if (rest.length > 0) node.comment = joinComments(rest);
  return node;
}

/** Marks a block scalar that is a value in a map that is itself a list item. */
const IN_LIST_ITEM_MAP = Symbol("inListItemMap");

/**
 * Strings as the core tag writes them, except one yaml.v3 habit: a block scalar in a map that is a
 * list item (`- enc: |`, the armored keys in `sops.age`) is indented two past its key, not one
 * indentation step. Matching it keeps a rewrite of a sops file free of whitespace-only changes.
 */
function yamlV3StringTag(core: ScalarTag): ScalarTag {
  return {
    ...core,
    test: /(?!)/,
    stringify(item, ctx, onComment, onChompKeep) {
      const text = (core.stringify as NonNullable<ScalarTag["stringify"]>)(item, ctx, onComment, onChompKeep);
      if (!(item as { [IN_LIST_ITEM_MAP]?: boolean })[IN_LIST_ITEM_MAP] || !/^[|>]/.test(text)) return text;
      const step = ctx.indentStep.length;
      if (step <= 2) return text;
      const from = ctx.indent;
      const to = from.slice(0, from.length - step + 2);
      const [header, ...lines] = text.split("\n");
      return [header, ...lines.map((l) => (l.startsWith(from) ? to + l.slice(from.length) : l))].join("\n");
    },
  };
}

export function emitYaml(branches: readonly Branch[], indent = DEFAULT_YAML_INDENT): string {
  return branches
    .map((branch, i) => {
      const doc = new Document(undefined, {
        customTags: (tags) => {
          const core = tags.find(
            (t): t is ScalarTag =>
              typeof t === "object" && t.tag === "tag:yaml.org,2002:str" && !("collection" in t),
          );
          return core ? [goFloatTag, yamlV3StringTag(core), ...tags] : [goFloatTag, ...tags];
        },
      });
      doc.contents = mapNode(branch);
      const text = doc.toString({ indent, indentSeq: true, lineWidth: 0, minContentWidth: 0 });
      return i === 0 ? text : `---\n${text}`;
    })
    .join("");
}

/** The indentation a file already uses (its first indented line), to keep diffs small on rewrite. */
export function detectYamlIndent(text: string): number | undefined {
  const m = /^( +)\S/m.exec(text);
  return m?.[1] ? m[1].length : undefined;
}
