/**
 * The real `git`, run as a child process (no git library: the repository must stay exactly what
 * `git`, Argo CD and Flux expect). Every failure becomes a SlipwayError naming the command, the
 * repository and git's own stderr.
 */
import { execFile } from "node:child_process";
import { ErrorCode, SlipwayError } from "../core/errors.ts";

export interface GitResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface GitRunOptions {
  /** Written to git's stdin (e.g. a commit message). */
  readonly input?: string;
  /** Exit codes that answer a question rather than signal a failure (e.g. 1 from `diff --quiet`). */
  readonly okExitCodes?: readonly number[];
  readonly env?: Readonly<Record<string, string>>;
}

export type Git = (args: readonly string[], options?: GitRunOptions) => Promise<GitResult>;

/** A runner bound to one working directory, with `env` (e.g. the commit identity) on every call. */
export function gitIn(dir: string, env: Readonly<Record<string, string>> = {}): Git {
  return (args, options = {}) => runGit(dir, args, { ...options, env: { ...env, ...options.env } });
}

function runGit(dir: string, args: readonly string[], options: GitRunOptions): Promise<GitResult> {
  const command = `git ${args.join(" ")}`;
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      [...args],
      {
        cwd: dir,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          // Never wait for a password prompt or an editor, and parse git's output in one language.
          GIT_TERMINAL_PROMPT: "0",
          GIT_EDITOR: "true",
          LC_ALL: "C",
          ...options.env,
        },
      },
      (error, stdout, stderr) => {
        const exitCode = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        if (exitCode === 0 || options.okExitCodes?.includes(exitCode)) {
          resolve({ stdout, stderr, exitCode });
          return;
        }
        const reason = stderr.trim() || error?.message || "no output";
        reject(
          new SlipwayError(ErrorCode.Git, `\`${command}\` failed in ${dir} (exit ${exitCode}): ${reason}`, {
            details: { command, dir, exitCode, stderr: stderr.trim() },
            cause: error,
          }),
        );
      },
    );
    // git may exit without reading its stdin (most commands never do); the exit code above
    // reports the outcome, so a broken pipe here is no failure of its own.
    child.stdin?.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") reject(error);
    });
    child.stdin?.end(options.input ?? "");
  });
}
