/**
 * Kubernetes manifests from text (files, stdin, `helm template` output) into objects that remember
 * their source. Validates the minimum every rule relies on (apiVersion, kind, metadata.name) and
 * names `file:line` for anything else; expands `kind: List`. Pure.
 *
 * Values are read as the API server reads them (YAML 1.1 scalars, merge keys; `kube-yaml.ts`), so
 * `hostNetwork: yes` is judged as the `true` the cluster will run.
 *
 * Speed matters here (`helm template | slipway check -` on large charts, the benchmark): values are
 * read with js-yaml, several times faster than a full document model, per document chunk so every
 * object knows its first line. The line of a field inside an object (for SARIF regions) is found
 * lazily, by walking that one document's parser events, only for objects that have findings; the
 * cost is that document's size, never the file's.
 */
import { z } from "zod";
import { ErrorCode, type Problem, SlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import { KubeYamlError, lineLocator, loadKubeYamlEvents, type YamlEvents } from "./kube-yaml.ts";

export interface SourcedObject {
  readonly object: KubeObject;
  readonly file: string;
  /** 1-based line where the object starts. */
  readonly line: number;
  /** Line of a field path inside this object (for SARIF regions). */
  lineOf(path: readonly (string | number)[]): number;
}

const objectSchema = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.looseObject({
    name: z.string().min(1),
    namespace: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
});

interface Chunk {
  readonly text: string;
  /** 0-based line of the chunk's first line in the file. */
  readonly offset: number;
}

/**
 * Splits a YAML stream at document markers. A `---` or `...` at the start of a line is always a
 * marker (the YAML spec forbids them as content there), so no parse is needed to find them.
 */
function chunks(text: string): Chunk[] {
  const out: Chunk[] = [];
  const lines = text.split("\n");
  let start = 0;
  for (let i = 0; i <= lines.length; i++) {
    const line = lines[i];
    if (i === lines.length || (line !== undefined && /^(---|\.\.\.)(\s|$)/.test(line))) {
      if (i > start) out.push({ text: lines.slice(start, i).join("\n"), offset: start });
      // Content after `--- ` on the marker line belongs to the next document.
      const rest = line?.startsWith("---") ? line.slice(3) : "";
      if (line !== undefined && rest.trim() !== "" && !rest.trim().startsWith("#")) {
        lines[i] = rest;
        start = i;
      } else {
        start = i + 1;
      }
    }
  }
  return out;
}

/** First line of real content (not blank, not a comment), 1-based in the file; undefined if none. */
function firstContentLine(chunk: Chunk): number | undefined {
  const lines = chunk.text.split("\n");
  const i = lines.findIndex((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));
  return i < 0 ? undefined : chunk.offset + i + 1;
}

export interface ParseOptions {
  /**
   * Keep each document's parser events so `lineOf` need not parse it again: for callers that will
   * look up many lines (SARIF output), at the cost of holding the events in memory.
   */
  readonly keepPositions?: boolean;
}

export function parseManifests(text: string, file: string, options: ParseOptions = {}): SourcedObject[] {
  const out: SourcedObject[] = [];
  const problems: Problem[] = [];
  for (const chunk of chunks(text)) {
    const start = firstContentLine(chunk);
    if (start === undefined) continue; // only comments, e.g. helm's `# Source:` lines
    let value: unknown;
    let events: YamlEvents | undefined;
    try {
      const loaded = loadKubeYamlEvents(chunk.text);
      value = loaded.values[0];
      if (options.keepPositions) events = loaded.events;
    } catch (error) {
      if (!(error instanceof KubeYamlError)) throw error;
      const at = positionIn(chunk.text, error.offset);
      problems.push({
        file,
        line: chunk.offset + at.line,
        column: at.column,
        path: "",
        message: error.message,
      });
      continue;
    }
    if (value === null || value === undefined) continue; // empty documents between `---`
    // Positions are computed only when asked for, from this document's text alone.
    const locateLine = lineLocator(chunk.text, events);
    const lineOf = (path: readonly (string | number)[]): number => chunk.offset + locateLine(path);
    const items = isList(value)
      ? value.items.map((v, i) => ({ v, at: ["items", i] as (string | number)[] }))
      : [{ v: value, at: [] as (string | number)[] }];
    for (const { v, at } of items) {
      const parsed = objectSchema.safeParse(v);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const path = [...at, ...issue.path.map((p) => (typeof p === "number" ? p : String(p)))];
          problems.push({
            file,
            line: lineOf(path),
            column: 1,
            path: path.join("."),
            message: issue.message,
            hint: "every manifest needs apiVersion, kind and metadata.name",
          });
        }
        continue;
      }
      out.push({
        object: parsed.data as KubeObject,
        file,
        line: at.length === 0 ? start : lineOf(at),
        lineOf: (path) => lineOf([...at, ...path]),
      });
    }
  }
  if (problems.length > 0) {
    throw new SlipwayError(ErrorCode.Input, `${file}: not a Kubernetes manifest`, { problems });
  }
  return out;
}

/** 1-based line and column of a 0-based offset into `text`. */
function positionIn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function isList(v: unknown): v is { items: unknown[] } {
  const r = v as { kind?: unknown; items?: unknown } | null;
  return (
    typeof r === "object" &&
    r !== null &&
    typeof r.kind === "string" &&
    r.kind.endsWith("List") &&
    Array.isArray(r.items)
  );
}
