/**
 * The CLI's window on the world: output streams and the exit code a command asks for. Commands
 * write through it so that tests run them in-process and read what a user would see.
 */
export interface CliIo {
  /** Bytes go out as they are: a decrypted binary file is not text. */
  out(text: string | Uint8Array): void;
  err(text: string): void;
  /** True when stdout is an interactive terminal (progress displays redraw only then). */
  readonly isTty: boolean;
  /** A command that completed but found problems (e.g. policy findings) sets 1. */
  setExitCode(code: number): void;
  exitCode(): number;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readStdin(): Promise<string>;
}

export function processIo(): CliIo {
  let code = 0;
  // `slipway … | head` closes the pipe early; that is the reader's choice, not a failure.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    isTty: Boolean(process.stdout.isTTY),
    setExitCode: (c) => {
      code = Math.max(code, c);
    },
    exitCode: () => code,
    env: process.env,
    cwd: process.cwd(),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
  };
}

/** An in-memory CliIo for tests: captures stdout and stderr. */
export function memoryIo(
  options: { stdin?: string; env?: Record<string, string>; cwd?: string } = {},
): CliIo & {
  stdout(): string;
  stdoutBytes(): Buffer;
  stderr(): string;
} {
  let code = 0;
  const out: Buffer[] = [];
  let err = "";
  return {
    out: (text) => {
      out.push(typeof text === "string" ? Buffer.from(text, "utf8") : Buffer.from(text));
    },
    err: (text) => {
      err += text;
    },
    isTty: false,
    setExitCode: (c) => {
      code = Math.max(code, c);
    },
    exitCode: () => code,
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    readStdin: async () => options.stdin ?? "",
    stdout: () => Buffer.concat(out).toString("utf8"),
    stdoutBytes: () => Buffer.concat(out),
    stderr: () => err,
  };
}
