/**
 * `secrets edit`'s editor: `$VISUAL` or `$EDITOR` (default `vi`), split into words and started
 * without a shell, with the plaintext copy's path as its own last argument. A file name such as
 * `x$(id>pwned).enc.yaml` is then only a name.
 *
 * The copy is a 0600 file in a 0700 directory in memory (`/dev/shm`) when the system has one. It is
 * removed when the editor returns, when anything fails, and when SIGTERM, SIGHUP or an editor
 * killed by Ctrl-C stops the command (see secrets-signals.ts).
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { ErrorCode, isSlipwayError, SlipwayError } from "../../core/errors.ts";
import type { CliIo } from "../io.ts";
import { cleanupOnSignal, editorInForeground } from "./secrets-signals.ts";

/**
 * Splits a command line into words as a POSIX shell would, without running one: blanks separate
 * words; '…' is literal; in "…" a backslash escapes only \ " $ ` and a newline; outside quotes a
 * backslash escapes the next character. Nothing is expanded, so unquoted shell syntax (`;`, `|`,
 * `&`, `<`, `>`, `(`, `)`, `$`, a backquote) is refused rather than passed on as text.
 */
export function shellWords(line: string, name: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const fail = (why: string): never => {
    throw new SlipwayError(
      ErrorCode.Input,
      `${name}: ${why}; Slipway runs the editor without a shell (quote the character, or name a script that runs your command)`,
    );
  };
  while (i < line.length) {
    const c = line[i] as string;
    if (c === " " || c === "\t" || c === "\n") {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) fail("unterminated single quote");
      word = (word ?? "") + line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let text = "";
      i++;
      for (;;) {
        if (i >= line.length) fail("unterminated double quote");
        const d = line[i] as string;
        if (d === '"') break;
        if (d === "$" || d === "`") fail(`expansion (${d}) inside double quotes`);
        if (d === "\\" && i + 1 < line.length && '\\"$`\n'.includes(line[i + 1] as string)) {
          if (line[i + 1] !== "\n") text += line[i + 1];
          i += 2;
        } else {
          text += d;
          i++;
        }
      }
      word = (word ?? "") + text;
      i++;
    } else if (c === "\\") {
      if (i + 1 >= line.length) fail("a backslash at the end");
      if (line[i + 1] !== "\n") word = (word ?? "") + line[i + 1];
      i += 2;
    } else if (";|&<>()$`".includes(c)) {
      fail(`unquoted shell syntax (${c})`);
    } else {
      word = (word ?? "") + c;
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  if (words.length === 0) fail("empty command");
  return words;
}

/** A memory-backed directory when the system has one, so plaintext never reaches a disk. */
function privateTempRoot(): string {
  if (existsSync("/dev/shm")) {
    try {
      const probe = mkdtempSync("/dev/shm/slipway-probe-");
      rmSync(probe, { recursive: true });
      return "/dev/shm";
    } catch (error) {
      // Not writable for this user: fall back to the ordinary temporary directory.
      if (!(error instanceof Error)) throw error;
    }
  }
  return tmpdir();
}

interface EditorExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Runs the editor on `path` in the foreground; SIGTERM/SIGHUP to Slipway stop the editor too. */
function runEditor(io: CliIo, argv: readonly string[], path: string, label: string): Promise<EditorExit> {
  const [command, ...args] = argv as [string, ...string[]];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, [...args, path], {
      cwd: io.cwd,
      stdio: "inherit",
      env: { ...process.env, ...io.env } as NodeJS.ProcessEnv,
    });
    const stopGuard = cleanupOnSignal((signal) => child.kill(signal));
    const endForeground = editorInForeground();
    const done = () => {
      endForeground();
      stopGuard();
    };
    child.once("error", (error: NodeJS.ErrnoException) => {
      done();
      reject(
        new SlipwayError(
          ErrorCode.Input,
          `could not start the editor ${label} (${error.code ?? error.message}); set $EDITOR to an editor on your PATH`,
          { cause: error },
        ),
      );
    });
    child.once("exit", (code, signal) => {
      done();
      resolvePromise({ code, signal });
    });
  });
}

/**
 * Writes `plaintext` to the private copy, runs the editor on it, and returns what `accept` makes of
 * the result. When `accept` throws a user error on an interactive terminal, the editor opens again
 * on the same text, as sops does; otherwise the error ends the command.
 */
export async function editInTemp<T>(
  io: CliIo,
  plaintext: Uint8Array,
  fileName: string,
  accept: (edited: Buffer) => T,
): Promise<T> {
  const editor = io.env.VISUAL || io.env.EDITOR || "vi";
  const variable = io.env.VISUAL ? "$VISUAL" : io.env.EDITOR ? "$EDITOR" : "the default editor";
  const argv = shellWords(editor, variable);
  const label = `(${argv[0]})`;
  const dir = mkdtempSync(join(privateTempRoot(), "slipway-edit-"));
  const stopGuard = cleanupOnSignal(() => rmSync(dir, { recursive: true, force: true }));
  try {
    chmodSync(dir, 0o700);
    const path = join(dir, basename(fileName));
    writeFileSync(path, plaintext, { mode: 0o600 });
    let rejected: Buffer | undefined;
    for (;;) {
      const result = await runEditor(io, argv, path, label);
      if (result.signal !== null) {
        throw new SlipwayError(
          ErrorCode.Input,
          `the editor ${label} was stopped by ${result.signal}; ${fileName} was not changed`,
        );
      }
      if (result.code !== 0) {
        throw new SlipwayError(
          ErrorCode.Input,
          `the editor ${label} exited with ${result.code}; the file was not changed`,
        );
      }
      const edited = readFileSync(path);
      try {
        return accept(edited);
      } catch (error) {
        const unchangedSinceLastTry = rejected?.equals(edited) ?? false;
        if (!io.isTty || unchangedSinceLastTry || !isSlipwayError(error) || error.code !== ErrorCode.Input) {
          throw error;
        }
        rejected = edited;
        io.err(`${error.message}\nopening the editor again; leave it without changes to give up\n`);
      }
    }
  } finally {
    stopGuard();
    rmSync(dir, { recursive: true, force: true });
  }
}
