/**
 * YAML documents that remember where they came from: each parsed document keeps its file, its
 * first line and a way to find the line of any field path, so that errors and findings point at
 * `file:line` (SARIF regions, custom-rule mistakes). Pure: text in, data out.
 */
import { type Document, isNode, LineCounter, parseAllDocuments } from "yaml";
import { ErrorCode, type Problem, SlipwayError } from "../core/errors.ts";

export interface LocatedDocument {
  readonly file: string;
  readonly value: unknown;
  /** 1-based line where the document's content starts. */
  readonly line: number;
  /** 1-based line of the node at `path` (or of its nearest existing parent). */
  lineOf(path: readonly (string | number)[]): number;
}

export function parseYamlDocuments(text: string, file: string): LocatedDocument[] {
  const counter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: counter, uniqueKeys: false });
  if (!Array.isArray(docs)) return []; // an empty stream parses to an empty-stream marker
  const problems: Problem[] = [];
  for (const doc of docs) {
    for (const e of doc.errors) {
      const pos = counter.linePos(e.pos[0]);
      problems.push({
        file,
        line: pos.line,
        column: pos.col,
        path: "",
        message: e.message.split("\n")[0] ?? e.message,
      });
    }
  }
  if (problems.length > 0) {
    throw new SlipwayError(ErrorCode.Input, `${file}: not valid YAML`, { problems });
  }
  const out: LocatedDocument[] = [];
  for (const doc of docs) {
    const value = toValue(doc, counter, file);
    if (value === null || value === undefined) continue; // empty documents between `---`
    const start = doc.contents && isNode(doc.contents) && doc.contents.range ? doc.contents.range[0] : 0;
    out.push({
      file,
      value,
      line: counter.linePos(start).line,
      lineOf: (path) => lineOfPath(doc, counter, path),
    });
  }
  return out;
}

/**
 * The document's value. Aliases are expanded with a budget (a few lines of YAML can alias their
 * way to billions of nodes); past it, or on an alias to nothing, the file is refused by line.
 */
function toValue(doc: Document.Parsed, counter: LineCounter, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: 1000 }) as unknown;
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    const start = doc.contents && isNode(doc.contents) && doc.contents.range ? doc.contents.range[0] : 0;
    const pos = counter.linePos(start);
    throw new SlipwayError(ErrorCode.Input, `${file}: not valid YAML`, {
      problems: [
        {
          file,
          line: pos.line,
          column: pos.col,
          path: "",
          message: /excessive alias/i.test(error.message)
            ? "aliases expand this document too far (a YAML alias bomb?); write the repeated parts out"
            : error.message,
        },
      ],
    });
  }
}

function lineOfPath(doc: Document.Parsed, counter: LineCounter, path: readonly (string | number)[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return 1;
}

/** `spec.containers[0].image` or `a["b.c"]` as the segment list `lineOf` takes. */
export function splitDottedPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\["([^"]*)"\]/g;
  for (let m = re.exec(path); m !== null; m = re.exec(path)) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(m[3]);
  }
  return out;
}
