/**
 * Editing a plaintext tree by key path, for `set` and `unset`. A path is either dotted
 * (`db.password`, list indices as numbers: `hosts.0`) or sops' own form (`["db"]["password"]`,
 * `["hosts"][0]`). Setting a missing map key appends it; intermediate maps are created.
 */
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { type Branch, isComment, type MapEntry, type Scalar, type TreeMap, type TreeValue } from "./tree.ts";

export type PathStep = string | number;

export function parseKeyPath(text: string): PathStep[] {
  const trimmed = text.trim();
  if (trimmed === "") throw new SlipwayError(ErrorCode.Input, "the key path is empty");
  if (!trimmed.startsWith("[")) return trimmed.split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const steps: PathStep[] = [];
  const re = /\[\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\d+))\s*\]/y;
  let pos = 0;
  while (pos < trimmed.length) {
    re.lastIndex = pos;
    const m = re.exec(trimmed);
    if (!m)
      throw new SlipwayError(
        ErrorCode.Input,
        `invalid key path ${text} (expected e.g. ["db"]["password"] or db.password)`,
      );
    if (m[1] !== undefined) steps.push(JSON.parse(`"${m[1]}"`) as string);
    else if (m[2] !== undefined) steps.push(m[2]);
    else steps.push(Number(m[3]));
    pos = re.lastIndex;
  }
  return steps;
}

const describe = (path: readonly PathStep[]) => path.map(String).join(".");

function setIn(
  node: TreeValue,
  path: readonly PathStep[],
  value: Scalar,
  full: readonly PathStep[],
): TreeValue {
  const [step, ...rest] = path;
  if (step === undefined) return value;
  if (typeof step === "number") {
    if (node.kind !== "list")
      throw new SlipwayError(ErrorCode.Input, `${describe(full)}: not a list at ${step}`);
    const items = [...node.items];
    let seen = -1;
    const index = items.findIndex((i) => !isComment(i) && ++seen === step);
    if (index < 0) {
      if (seen + 1 !== step)
        throw new SlipwayError(ErrorCode.Input, `${describe(full)}: index ${step} is past the end`);
      items.push(setIn({ kind: "map", entries: [] }, rest, value, full));
    } else items[index] = setIn(items[index] as TreeValue, rest, value, full);
    return { kind: "list", items };
  }
  if (node.kind !== "map")
    throw new SlipwayError(ErrorCode.Input, `${describe(full)}: "${step}" is not inside a map`);
  const entries = [...node.entries];
  const index = entries.findIndex((e) => !isComment(e) && e.key === step);
  if (index < 0) entries.push({ key: step, value: setIn({ kind: "map", entries: [] }, rest, value, full) });
  else {
    const entry = entries[index] as MapEntry;
    entries[index] = { key: step, value: setIn(entry.value, rest, value, full) };
  }
  return { kind: "map", entries };
}

export function setValue(branch: Branch, path: readonly PathStep[], value: Scalar): Branch {
  return setIn(branch, path, value, path) as TreeMap;
}

export function unsetValue(branch: Branch, path: readonly PathStep[]): Branch {
  const [step, ...rest] = path;
  const missing = () => new SlipwayError(ErrorCode.NotFound, `${describe(path)}: no such key`);
  const go = (node: TreeValue, s: PathStep | undefined, r: readonly PathStep[]): TreeValue => {
    if (typeof s === "number") {
      if (node.kind !== "list") throw missing();
      let seen = -1;
      const index = node.items.findIndex((i) => !isComment(i) && ++seen === s);
      if (index < 0) throw missing();
      const items = [...node.items];
      if (r.length === 0) items.splice(index, 1);
      else items[index] = go(items[index] as TreeValue, r[0], r.slice(1));
      return { kind: "list", items };
    }
    if (node.kind !== "map") throw missing();
    const index = node.entries.findIndex((e) => !isComment(e) && e.key === s);
    if (index < 0) throw missing();
    const entries = [...node.entries];
    const entry = entries[index] as MapEntry;
    if (r.length === 0) entries.splice(index, 1);
    else entries[index] = { key: entry.key, value: go(entry.value, r[0], r.slice(1)) };
    return { kind: "map", entries };
  };
  return go(branch, step, rest) as TreeMap;
}

/** The value at a path, or a NotFound error. */
export function valueAt(branch: Branch, path: readonly PathStep[]): TreeValue {
  let node: TreeValue = branch;
  for (const step of path) {
    if (typeof step === "number" && node.kind === "list") {
      const found: TreeValue | undefined = node.items.filter((i): i is TreeValue => !isComment(i))[step];
      if (!found) throw new SlipwayError(ErrorCode.NotFound, `${describe(path)}: no such key`);
      node = found;
    } else if (node.kind === "map") {
      const entry: MapEntry | undefined = node.entries.find(
        (e): e is MapEntry => !isComment(e) && e.key === String(step),
      );
      if (!entry) throw new SlipwayError(ErrorCode.NotFound, `${describe(path)}: no such key`);
      node = entry.value;
    } else throw new SlipwayError(ErrorCode.NotFound, `${describe(path)}: no such key`);
  }
  return node;
}
