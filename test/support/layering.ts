/**
 * The layering rules of ADR 0001 and 0009 as data, and a checker over source text: which folders
 * may import which, and which libraries only their adapter imports. Imports are read from tokens
 * (comments skipped; strings, template literals and regular expressions read whole), so a comment
 * or a string that looks like an import is not one: static imports, re-exports, `import()` calls
 * with a literal, and whether an import names types only.
 */
import { dirname, join, normalize } from "node:path";

export interface ImportRef {
  /** As written: `../store/store.ts`, `node:fs`, `hono`. */
  readonly specifier: string;
  /** For relative imports, the imported file relative to the repository (`src/store/store.ts`). */
  readonly target?: string;
  readonly typeOnly: boolean;
  readonly line: number;
}

interface Token {
  readonly kind: "word" | "string" | "punct";
  readonly text: string;
  readonly line: number;
}

/** After these, a `/` starts a regular expression rather than dividing. */
const beforeRegex = new Set([
  "(",
  ",",
  "=",
  ":",
  "[",
  "!",
  "&",
  "|",
  "?",
  "{",
  "}",
  ";",
  "return",
  "typeof",
  "=>",
  "+",
  "-",
  "*",
  "%",
  "<",
  ">",
  "~",
  "^",
]);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  const count = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (text[k] === "\n") line++;
  };
  while (i < text.length) {
    const c = text[i]!;
    const start = i;
    const startLine = line;
    if (c === "\n" || c === " " || c === "\t" || c === "\r") {
      if (c === "\n") line++;
      i++;
    } else if (text.startsWith("//", i)) {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (text.startsWith("/*", i)) {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
      count(start, i);
    } else if (c === '"' || c === "'" || c === "`") {
      i++;
      let value = "";
      while (i < text.length && text[i] !== c) {
        if (text[i] === "\\") {
          value += text[i + 1] ?? "";
          i += 2;
        } else value += text[i++];
      }
      i++;
      count(start, i);
      tokens.push({ kind: "string", text: value, line: startLine });
    } else if (c === "/" && (tokens.length === 0 || beforeRegex.has(tokens[tokens.length - 1]!.text))) {
      // A regular expression literal: skip it whole, classes and escapes included.
      i++;
      let inClass = false;
      while (i < text.length && text[i] !== "\n" && (inClass || text[i] !== "/")) {
        if (text[i] === "\\") i++;
        else if (text[i] === "[") inClass = true;
        else if (text[i] === "]") inClass = false;
        i++;
      }
      i++;
      tokens.push({ kind: "punct", text: "/regex/", line: startLine });
    } else if (/[A-Za-z_$]/.test(c)) {
      while (i < text.length && /[\w$]/.test(text[i]!)) i++;
      tokens.push({ kind: "word", text: text.slice(start, i), line: startLine });
    } else if (text.startsWith("=>", i)) {
      i += 2;
      tokens.push({ kind: "punct", text: "=>", line: startLine });
    } else {
      i++;
      tokens.push({ kind: "punct", text: c, line: startLine });
    }
  }
  return tokens;
}

export function importsOf(file: string, text: string): ImportRef[] {
  const tokens = tokenize(text);
  const out: ImportRef[] = [];
  const add = (token: Token, typeOnly: boolean) => {
    const specifier = token.text;
    const target = specifier.startsWith(".") ? normalize(join(dirname(file), specifier)) : undefined;
    out.push({ specifier, ...(target === undefined ? {} : { target }), typeOnly, line: token.line });
  };
  /** From `i` (just after `import`/`export`), the `from "x"` that ends the clause, and whether it names types only. */
  const clause = (i: number): { at: number; typeOnly: boolean } | undefined => {
    let typeOnly = tokens[i]?.text === "type";
    let named: boolean[] | undefined;
    for (let k = i; k < tokens.length; k++) {
      const t = tokens[k]!;
      if (t.text === ";") return undefined;
      if (t.text === "{") named = [];
      else if (named !== undefined && (t.text === "{" || t.text === ",")) {
        // handled below
      }
      if (
        named !== undefined &&
        (tokens[k - 1]?.text === "{" || tokens[k - 1]?.text === ",") &&
        t.text !== "}"
      )
        named.push(t.text === "type" && tokens[k + 1]?.kind === "word");
      if (t.kind === "word" && t.text === "from" && tokens[k + 1]?.kind === "string") {
        const defaultToo =
          tokens[i]?.kind === "word" && tokens[i]?.text !== "type" && tokens[i + 1]?.text === ",";
        if (!typeOnly && named !== undefined && named.length > 0 && named.every(Boolean) && !defaultToo)
          typeOnly = true;
        return { at: k + 1, typeOnly };
      }
    }
    return undefined;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== "word" || tokens[i - 1]?.text === ".") continue;
    const next = tokens[i + 1];
    if (t.text === "import") {
      if (next?.text === "(" && tokens[i + 2]?.kind === "string")
        add(tokens[i + 2]!, tokens[i - 1]?.text === "typeof");
      else if (next?.kind === "string") add(next, false);
      else if (next !== undefined && next.text !== "." && next.text !== "(") {
        const found = clause(i + 1);
        if (found !== undefined) {
          add(tokens[found.at]!, found.typeOnly);
          i = found.at;
        }
      }
    } else if (t.text === "export" && (next?.text === "{" || next?.text === "*" || next?.text === "type")) {
      const found = clause(i + 1);
      if (found !== undefined) {
        add(tokens[found.at]!, found.typeOnly);
        i = found.at;
      }
    }
  }
  return out;
}

/** Pure modules: data in, data out. They import no adapter, no composition root and no I/O. */
const pure = [
  "src/core/",
  "src/spec/",
  "src/render/",
  "src/policy/",
  "src/secrets/",
  "src/delivery/",
  "src/api/",
];
/** Inside the pure folders, the edges that do I/O (the thin readers around the pure parsers). */
const ioEdges = ["src/spec/files.ts", "src/secrets/backends/"];
/** Adapters and composition code: pure modules never import these. */
const impure = [
  "src/cluster/",
  "src/gitops/",
  "src/store/",
  "src/source/",
  "src/server/",
  "src/cli/",
  "src/engine/",
  "src/compose/",
  "src/testing/",
];
const ioModules = new Set([
  "node:fs",
  "node:fs/promises",
  "node:child_process",
  "node:net",
  "node:http",
  "node:https",
  "node:http2",
  "node:dgram",
  "node:sqlite",
  "node:worker_threads",
]);

/** Each library only through its adapter. */
const libraryOwners: readonly { readonly library: RegExp; readonly owner: string }[] = [
  { library: /^@kubernetes\/client-node(\/|$)/, owner: "src/cluster/" },
  { library: /^(kysely|pg|pg-.*|node:sqlite)(\/|$)/, owner: "src/store/" },
  { library: /^(hono|@hono\/.*)(\/|$)/, owner: "src/server/" },
];

/** Test support: never imported by shipped code, and left out of the build (tsconfig.build.json). */
export const testSupport = ["src/testing/", "src/secrets/backends/stand-ins.ts"];

/** The modules that construct adapters, and the composition roots that alone may construct them. */
const constructors = [
  "src/gitops/gitops-target.ts",
  "src/cluster/kube-cluster.ts",
  "src/store/open.ts",
  "src/store/sql-store.ts",
  "src/secrets/backends/from-env.ts",
  "src/source/git-source.ts",
];
const compositionRoots = ["src/cli/main.ts", "src/cli/commands/", "src/cli/deploy/", "src/server/main.ts"];
/**
 * Adapter composition both roots share (a platform cluster → the DeployTarget that reaches it): it
 * constructs adapters like a root, so only the roots may import it. The server may not import the
 * CLI, so what both need lives here rather than in one of them.
 */
const sharedComposition = ["src/compose/"];

const under = (file: string, prefixes: readonly string[]) =>
  prefixes.some((p) => (p.endsWith("/") ? file.startsWith(p) : file === p));

export function isTestFile(file: string): boolean {
  return /\.test\.ts$/.test(file);
}

/** Every broken rule in `files` (repository-relative path → text), as `file:line: what`. */
export function layeringViolations(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [file, text] of files) {
    if (isTestFile(file) || !file.startsWith("src/")) continue;
    const filePure = under(file, pure) && !under(file, ioEdges);
    for (const ref of importsOf(file, text)) {
      const where = `${file}:${ref.line}`;
      const target = ref.target;
      if (filePure) {
        if (ioModules.has(ref.specifier) && !ref.typeOnly)
          out.push(`${where}: a pure module imports ${ref.specifier}`);
        if (target !== undefined && (under(target, impure) || under(target, ioEdges)) && !ref.typeOnly)
          out.push(`${where}: a pure module imports ${target}`);
        if (target !== undefined && under(target, impure) && ref.typeOnly)
          out.push(`${where}: a pure module names a type of ${target}; declare the port in the core`);
      }
      for (const { library, owner } of libraryOwners) {
        if (library.test(ref.specifier) && !file.startsWith(owner))
          out.push(`${where}: ${ref.specifier} is imported only in ${owner}`);
      }
      if (target === undefined) continue;
      if (under(target, testSupport) && !under(file, testSupport))
        out.push(`${where}: shipped code imports test support ${target}`);
      if (file.startsWith("src/server/") && target.startsWith("src/cli/"))
        out.push(`${where}: the server imports the CLI (${target})`);
      if (
        file.startsWith("src/cli/") &&
        target.startsWith("src/server/") &&
        file !== "src/cli/commands/serve.ts"
      )
        out.push(`${where}: the CLI reaches into the server (${target}); speak to it through src/api`);
      if (file.startsWith("src/cli/") && target.startsWith("src/store/") && !under(file, compositionRoots))
        out.push(`${where}: the CLI imports the store (${target}); the API contract is src/api`);
      if (
        under(target, constructors) &&
        !ref.typeOnly &&
        !under(file, compositionRoots) &&
        !under(file, sharedComposition) &&
        dirname(file) !== dirname(target)
      )
        out.push(`${where}: only a composition root constructs adapters (${target})`);
      if (
        under(target, sharedComposition) &&
        !under(file, compositionRoots) &&
        !under(file, sharedComposition)
      )
        out.push(`${where}: only a composition root imports ${target}`);
    }
  }
  return out;
}
