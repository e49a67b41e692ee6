/**
 * JSON with the key order kept (a JavaScript object would move integer-like keys first) and numbers
 * typed as `sops` 3.13.2+ types them: an int when it parses as a 64-bit integer, otherwise a float.
 * Written as Go's encoder writes it: tab indentation, `<>&` escaped, a final newline.
 */
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { MAX_NESTING, tooDeep } from "./limits.ts";
import type { Branch, TreeValue } from "./tree.ts";

const INT64 = /^-?\d+$/;
const MAX_INT64 = 9223372036854775807n;
const MIN_INT64 = -9223372036854775808n;

class Reader {
  pos = 0;
  readonly text: string;
  readonly file: string;
  constructor(text: string, file: string) {
    this.text = text;
    this.file = file;
  }
  /** Open objects and arrays; the reader recurses once per level, so it is bounded. */
  depth = 0;
  where(): string {
    const before = this.text.slice(0, this.pos);
    const line = before.split("\n").length;
    const column = this.pos - before.lastIndexOf("\n");
    return `${this.file}:${line}:${column}`;
  }
  fail(message: string): never {
    throw new SlipwayError(ErrorCode.Input, `${this.where()}: ${message}`);
  }
  enter(): void {
    if (++this.depth > MAX_NESTING) throw tooDeep(this.where());
  }
  ws(): void {
    while (/[ \t\r\n]/.test(this.text[this.pos] ?? "")) this.pos++;
  }
  value(): TreeValue {
    this.ws();
    const c = this.text[this.pos];
    if (c === "{" || c === "[") {
      this.enter();
      const value = c === "{" ? this.object() : this.array();
      this.depth--;
      return value;
    }
    if (c === '"') return { kind: "str", value: this.string() };
    const m = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(
      this.text.slice(this.pos, this.pos + 400),
    );
    if (!m?.[0]) this.fail("invalid JSON value");
    this.pos += m[0].length;
    if (m[0] === "true" || m[0] === "false") return { kind: "bool", value: m[0] === "true" };
    if (m[0] === "null") return { kind: "null" };
    if (INT64.test(m[0])) {
      const n = BigInt(m[0]);
      if (n <= MAX_INT64 && n >= MIN_INT64) return { kind: "int", value: n.toString() };
    }
    return { kind: "float", value: Number(m[0]) };
  }
  string(): string {
    const start = this.pos;
    this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === "\\") this.pos += 2;
      else if (c === '"') {
        this.pos++;
        return JSON.parse(this.text.slice(start, this.pos)) as string;
      } else this.pos++;
    }
    return this.fail("unterminated string");
  }
  object(): TreeValue {
    this.pos++;
    const entries: { key: string; value: TreeValue }[] = [];
    this.ws();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return { kind: "map", entries };
    }
    for (;;) {
      this.ws();
      if (this.text[this.pos] !== '"') this.fail("expected an object key");
      const key = this.string();
      this.ws();
      if (this.text[this.pos++] !== ":") this.fail("expected ':'");
      entries.push({ key, value: this.value() });
      this.ws();
      const c = this.text[this.pos++];
      if (c === "}") return { kind: "map", entries };
      if (c !== ",") this.fail("expected ',' or '}'");
    }
  }
  array(): TreeValue {
    this.pos++;
    const items: TreeValue[] = [];
    this.ws();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return { kind: "list", items };
    }
    for (;;) {
      items.push(this.value());
      this.ws();
      const c = this.text[this.pos++];
      if (c === "]") return { kind: "list", items };
      if (c !== ",") this.fail("expected ',' or ']'");
    }
  }
}

export function parseJson(text: string, file: string): Branch[] {
  const reader = new Reader(text, file);
  reader.ws();
  if (reader.text[reader.pos] !== "{") {
    reader.fail(
      'only JSON files with a top-level object are supported; wrap the content, e.g. {"data": [...]}',
    );
  }
  const value = reader.value();
  reader.ws();
  if (reader.pos < text.length) reader.fail("unexpected content after the top-level object");
  return [value as Branch];
}

/** Go's json.Marshal for strings: HTML-sensitive characters and line separators escaped. */
function goString(s: string): string {
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function encode(value: TreeValue, indent: string, depth: number): string {
  const pad = indent.repeat(depth + 1);
  const close = indent.repeat(depth);
  const nl = indent === "" ? "" : "\n";
  switch (value.kind) {
    case "map": {
      const entries = value.entries.filter((e) => !("kind" in e)) as { key: string; value: TreeValue }[];
      if (entries.length === 0) return "{}";
      const body = entries.map((e) => `${pad}${goString(e.key)}: ${encode(e.value, indent, depth + 1)}`);
      return `{${nl}${body.join(`,${nl}`)}${nl}${close}}`;
    }
    case "list": {
      const items = value.items.filter((i) => i.kind !== "comment") as TreeValue[];
      if (items.length === 0) return "[]";
      return `[${nl}${items.map((i) => `${pad}${encode(i, indent, depth + 1)}`).join(`,${nl}`)}${nl}${close}]`;
    }
    case "str":
    case "time":
      return goString(value.value);
    case "bytes":
      return goString(Buffer.from(value.value).toString("base64"));
    case "int":
      return value.value;
    case "float":
      if (!Number.isFinite(value.value))
        throw new SlipwayError(ErrorCode.Input, "JSON cannot hold Inf or NaN");
      return JSON.stringify(value.value);
    case "bool":
      return String(value.value);
    case "null":
      return "null";
  }
}

export function emitJson(branches: readonly Branch[], indent = "\t"): string {
  const [branch] = branches;
  if (!branch) return "{}\n";
  return `${encode(branch, indent, 0)}\n`;
}
