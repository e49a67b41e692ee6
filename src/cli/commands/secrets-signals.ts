/**
 * What `slipway secrets` undoes when it is stopped by a signal: a lock file and the plaintext copy
 * `edit` hands the editor. Ctrl-C, `kill` and a closed terminal (SIGINT, SIGTERM, SIGHUP) would
 * otherwise end the process before any `finally` runs.
 *
 * While an editor runs in the foreground, SIGINT is left to the editor, as git does: the terminal
 * sends Ctrl-C to the whole process group, and in vim or nano it is an ordinary key. When the
 * editor itself dies of it, the caller sees that and cleans up. SIGTERM and SIGHUP always end the
 * command: the cleanups run (they stop the editor first) and the process exits with 128 + signal.
 */
const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
type Signal = keyof typeof SIGNALS;

/** A cleanup gets the signal that stopped the command. It must be synchronous and must not throw. */
export type Cleanup = (signal: Signal) => void;

const cleanups: Cleanup[] = [];
let editors = 0;

function onSignal(signal: Signal): void {
  if (signal === "SIGINT" && editors > 0) return;
  // Last registered first: the editor is stopped before its directory goes, the lock last.
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      cleanup(signal);
    } catch {
      // Best effort: the remaining cleanups must still run before the process ends.
    }
  }
  process.exit(128 + SIGNALS[signal]);
}

function install(): void {
  for (const signal of Object.keys(SIGNALS) as Signal[]) process.on(signal, onSignal);
}

function uninstall(): void {
  for (const signal of Object.keys(SIGNALS) as Signal[]) process.off(signal, onSignal);
}

/** Runs `cleanup` if a signal stops the process; the returned function unregisters it. */
export function cleanupOnSignal(cleanup: Cleanup): () => void {
  if (cleanups.length === 0) install();
  cleanups.push(cleanup);
  return () => {
    const index = cleanups.indexOf(cleanup);
    if (index >= 0) cleanups.splice(index, 1);
    if (cleanups.length === 0) uninstall();
  };
}

/** Marks a foreground editor as running (SIGINT is its to handle); the result ends the mark. */
export function editorInForeground(): () => void {
  editors++;
  let done = false;
  return () => {
    if (!done) editors--;
    done = true;
  };
}
