/**
 * INI, read and written the way `sops` does through go-ini: sections become top-level maps (keys
 * outside any section land in `DEFAULT`), values are strings, a comment above a key is kept after
 * that key in the tree (and written back above it), keys are aligned on `=`, values with newlines or
 * a backtick are wrapped in `"""`, values with `#`/`;` in backticks, values with outer spaces in quotes.
 */
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { valToString } from "./dotenv-store.ts";
import { type Branch, type Comment, comment, type MapEntry, type TreeMap } from "./tree.ts";

const DEFAULT_SECTION = "DEFAULT";

function stripCommentChar(text: string): string {
  // sops' stripCommentChar: TrimLeft of "; " or "# " (a character set, not a prefix).
  if (text.startsWith(";")) return text.replace(/^[; ]+/, "");
  if (text.startsWith("#")) return text.replace(/^[# ]+/, "");
  return text;
}

function unquote(raw: string): string {
  if (
    raw.length >= 2 &&
    ((raw.startsWith('"') && raw.endsWith('"')) || (raw.startsWith("'") && raw.endsWith("'")))
  ) {
    return raw.slice(1, -1);
  }
  return raw;
}

interface Section {
  name: string;
  comment: string;
  keys: { name: string; value: string; comment: string }[];
}

export function parseIni(text: string, file: string): Branch[] {
  const sections: Section[] = [{ name: DEFAULT_SECTION, comment: "", keys: [] }];
  let pending: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").trimStart();
    if (line === "") continue;
    if (line.startsWith("#") || line.startsWith(";")) {
      pending.push(line);
      continue;
    }
    if (line.startsWith("[")) {
      const end = line.indexOf("]");
      if (end < 0) throw new SlipwayError(ErrorCode.Input, `${file}:${i + 1}:1: unclosed section header`);
      sections.push({ name: line.slice(1, end).trim(), comment: pending.join("\n"), keys: [] });
      pending = [];
      continue;
    }
    const delim = line.search(/[=:]/);
    const keyRaw = (delim < 0 ? line : line.slice(0, delim)).trim();
    let rest = delim < 0 ? "" : line.slice(delim + 1).trim();
    let value: string;
    if (rest.startsWith('"""')) {
      const body = [rest.slice(3)];
      let closed = body[0]?.indexOf('"""') ?? -1;
      while (closed < 0 && i + 1 < lines.length) {
        i++;
        body.push(lines[i] ?? "");
        closed = (lines[i] ?? "").indexOf('"""');
      }
      const joined = body.join("\n");
      value = joined.slice(0, joined.lastIndexOf('"""'));
    } else if (rest.startsWith("`")) {
      const end = rest.indexOf("`", 1);
      value = end < 0 ? rest.slice(1) : rest.slice(1, end);
    } else {
      const hash = rest.search(/[#;]/);
      if (hash >= 0) rest = rest.slice(0, hash).trim();
      value = unquote(rest);
    }
    const section = sections[sections.length - 1] as Section;
    const key = keyRaw.startsWith("`") && keyRaw.endsWith("`") ? keyRaw.slice(1, -1) : unquote(keyRaw);
    const existing = section.keys.find((k) => k.name === key);
    if (existing) existing.value = value;
    else section.keys.push({ name: key, value, comment: pending.join("\n") });
    pending = [];
  }
  const entries: MapEntry[] = sections.map((s) => {
    const items: (MapEntry | Comment)[] = [];
    if (s.comment) items.push(comment(stripCommentChar(s.comment)));
    for (const k of s.keys) {
      items.push({ key: k.name, value: { kind: "str", value: k.value } });
      if (k.comment) items.push(comment(stripCommentChar(k.comment)));
    }
    return { key: s.name, value: { kind: "map", entries: items } };
  });
  return [{ kind: "map", entries }];
}

function commentLine(text: string): string {
  const first = text[0];
  if (first !== "#" && first !== ";") return `; ${text.trim()}`;
  return `${first} ${text.slice(1).trim()}`;
}

function formatValue(value: string): string {
  if (/[\n`]/.test(value)) return `"""${value}"""`;
  if (/[#;]/.test(value)) return `\`${value}\``;
  if (value.trim().length !== value.length) return `"${value}"`;
  return value;
}

function formatKey(key: string): string {
  if (/["=:]/.test(key)) return `\`${key}\``;
  if (key.includes("`")) return `"""${key}"""`;
  return key;
}

export function emitIni(branches: readonly Branch[]): string {
  const blocks: string[] = [];
  const sections = (branches[0]?.entries ?? []).filter((e): e is MapEntry => !("kind" in e));
  sections.forEach((section, index) => {
    let out = "";
    if (section.value.kind !== "map") {
      throw new SlipwayError(ErrorCode.Input, `INI value "${section.key}" must be a section (a map of keys)`);
    }
    let items = section.value.entries;
    let sectionComment = "";
    const first = items[0];
    if (first && "kind" in first) {
      sectionComment = first.value;
      items = items.slice(1);
    }
    const keys: { name: string; value: string; comment: string }[] = [];
    for (const item of items) {
      if ("kind" in item) {
        const last = keys[keys.length - 1];
        if (last) last.comment = item.value;
        continue;
      }
      if (item.value.kind === "map" || item.value.kind === "list") {
        throw new SlipwayError(
          ErrorCode.Input,
          `INI key ${section.key}.${item.key} cannot hold a nested value`,
        );
      }
      keys.push({ name: item.key, value: valToString(item.value), comment: "" });
    }
    if (sectionComment) out += `${sectionComment.split("\n").map(commentLine).join("\n")}\n`;
    if (index === 0 && section.key.toUpperCase() === DEFAULT_SECTION && keys.length === 0) return;
    if (!(index === 0 && section.key.toUpperCase() === DEFAULT_SECTION)) out += `[${section.key}]\n`;
    const width = Math.max(0, ...keys.map((k) => formatKey(k.name).length));
    for (const k of keys) {
      if (k.comment) out += `${k.comment.split("\n").map(commentLine).join("\n")}\n`;
      const name = formatKey(k.name);
      out += `${name}${" ".repeat(width - name.length)} = ${formatValue(k.value)}\n`;
    }
    blocks.push(out);
  });
  // A blank line between sections, none after the last (as go-ini writes it).
  return blocks.join("\n");
}

/** The tree of an INI file must be sections of flat keys. */
export function isIniShape(branch: TreeMap): boolean {
  return branch.entries.every((e) => "kind" in e || e.value.kind === "map");
}
