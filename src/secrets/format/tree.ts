/**
 * The in-memory tree of a SOPS document, the same model the real `sops` walks: ordered maps whose
 * entries are keys or comments, lists whose items are values or comments, and typed scalars. The
 * order of entries is the document order, which is also the order the MAC is computed in.
 */

/** A scalar with the type `sops` records in `ENC[…,type:…]`. */
export type Scalar =
  /** `raw` holds the exact bytes when they are not valid UTF-8 (binary files). */
  | { readonly kind: "str"; readonly value: string; readonly raw?: Uint8Array }
  /** Decimal text, so 64-bit integers survive JavaScript numbers. */
  | { readonly kind: "int"; readonly value: string }
  | { readonly kind: "float"; readonly value: number }
  | { readonly kind: "bool"; readonly value: boolean }
  | { readonly kind: "bytes"; readonly value: Uint8Array }
  /** A timestamp as RFC 3339 text (`type:time`). */
  | { readonly kind: "time"; readonly value: string }
  | { readonly kind: "null" };

export interface Comment {
  readonly kind: "comment";
  /** The text after `#` (or `;` in INI), leading space kept. */
  readonly value: string;
  /** A comment on the same line as a value (YAML), emitted back on that line. */
  readonly inline: boolean;
}

export interface MapEntry {
  readonly key: string;
  readonly value: TreeValue;
}

export interface TreeMap {
  readonly kind: "map";
  readonly entries: (MapEntry | Comment)[];
}

export interface TreeList {
  readonly kind: "list";
  readonly items: (TreeValue | Comment)[];
}

export type TreeValue = Scalar | TreeMap | TreeList;

/** One document; YAML files may hold several, every other format holds one. */
export type Branch = TreeMap;

export const str = (value: string): Scalar => ({ kind: "str", value });

export function isComment(item: MapEntry | Comment | TreeValue): item is Comment {
  return (item as { kind?: string }).kind === "comment";
}

export function comment(value: string, inline = false): Comment {
  return { kind: "comment", value, inline };
}

/** Finds the value at `path` (map keys only), or undefined. */
export function getPath(branch: TreeMap, path: readonly string[]): TreeValue | undefined {
  let node: TreeValue = branch;
  for (const key of path) {
    if (node.kind !== "map") return undefined;
    const entry: MapEntry | undefined = node.entries.find(
      (e): e is MapEntry => !isComment(e) && e.key === key,
    );
    if (!entry) return undefined;
    node = entry.value;
  }
  return node;
}

/** The plaintext as JSON-compatible data (comments dropped); for tests and structured output. */
export function toJsonValue(value: TreeValue): unknown {
  switch (value.kind) {
    case "map":
      return Object.fromEntries(
        value.entries.filter((e): e is MapEntry => !isComment(e)).map((e) => [e.key, toJsonValue(e.value)]),
      );
    case "list":
      return value.items.filter((i): i is TreeValue => !isComment(i)).map(toJsonValue);
    case "int":
      return Number(value.value);
    case "null":
      return null;
    case "bytes":
      return Buffer.from(value.value).toString("utf8");
    default:
      return value.value;
  }
}
