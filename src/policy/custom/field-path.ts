/**
 * The path language of custom rules: dotted keys, `[n]` indexes, `[*]` for every element and
 * `["key.with.dots"]` for keys such as annotation names. `resolvePath` returns one match per
 * concrete location, including locations that do not exist (value undefined), so that an
 * `exists: true` assertion can name the exact missing field.
 */
import { ErrorCode, SlipwayError } from "../../core/errors.ts";

export type Segment = { readonly key: string } | { readonly index: number } | { readonly each: true };

export function parseFieldPath(path: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new SlipwayError(ErrorCode.Input, `path ${JSON.stringify(path)}: ${why} at character ${i + 1}`);
  };
  while (i < path.length) {
    const ch = path[i];
    if (ch === ".") {
      if (i === 0 || i === path.length - 1) fail("a dot must separate two keys");
      i++;
      continue;
    }
    if (ch === "[") {
      const close = path.indexOf("]", i);
      if (close < 0) fail("unclosed [");
      const inner = path.slice(i + 1, close);
      if (inner === "*") out.push({ each: true });
      else if (/^\d+$/.test(inner)) out.push({ index: Number(inner) });
      else if (/^"[^"]*"$/.test(inner)) out.push({ key: inner.slice(1, -1) });
      else fail(`[${inner}] is not [n], [*] or ["key"]`);
      i = close + 1;
      continue;
    }
    const m = /^[^.[\]]+/.exec(path.slice(i));
    if (!m) fail("expected a key");
    out.push({ key: (m as RegExpExecArray)[0] });
    i += (m as RegExpExecArray)[0].length;
  }
  if (out.length === 0) fail("empty path");
  return out;
}

export interface PathMatch {
  readonly path: string;
  readonly value: unknown;
}

const keyPattern = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function appendKey(base: string, key: string): string {
  if (!keyPattern.test(key)) return `${base}[${JSON.stringify(key)}]`;
  return base === "" ? key : `${base}.${key}`;
}

export function resolvePath(root: unknown, segments: readonly Segment[]): PathMatch[] {
  let current: PathMatch[] = [{ path: "", value: root }];
  for (const seg of segments) {
    const next: PathMatch[] = [];
    for (const m of current) {
      if ("each" in seg) {
        if (Array.isArray(m.value)) {
          m.value.forEach((v, i) => {
            next.push({ path: `${m.path}[${i}]`, value: v });
          });
        }
      } else if ("index" in seg) {
        next.push({
          path: `${m.path}[${seg.index}]`,
          value: Array.isArray(m.value) ? m.value[seg.index] : undefined,
        });
      } else {
        const v =
          typeof m.value === "object" && m.value !== null && !Array.isArray(m.value)
            ? (m.value as Record<string, unknown>)[seg.key]
            : undefined;
        next.push({ path: appendKey(m.path, seg.key), value: v });
      }
    }
    current = next;
  }
  return current;
}
