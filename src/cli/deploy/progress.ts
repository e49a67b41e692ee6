/**
 * The live view of a deploy: objects applied, replicas ready, elapsed time. On a terminal it is a
 * small frame redrawn in place (a few ANSI sequences; no library needed for three lines); without
 * one (CI logs, pipes, tests) every event is one plain line, so logs stay readable and greppable.
 */
import { type ApplyResult, countChanges, type DeployProgress } from "../../delivery/deploy-target.ts";
import type { CliIo } from "../io.ts";

export interface ProgressDisplay {
  readonly onProgress: (event: DeployProgress) => void;
  /** Stops redrawing and prints the outcome. */
  finish(result: ApplyResult): void;
  /** Stops redrawing, leaving the last frame marked as failed, before an error is reported. */
  abort(): void;
}

export interface ProgressOptions {
  /** e.g. `cart → develop (GitOps repository /srv/gitops)`. */
  readonly title: string;
  readonly total: number;
  readonly now?: () => number;
  /** Redraw interval on a terminal, for the elapsed time. */
  readonly tickMs?: number;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";
const ERASE_LINE_UP = "\x1b[1A\x1b[2K";

export function progressDisplay(io: CliIo, options: ProgressOptions): ProgressDisplay {
  const now = options.now ?? Date.now;
  const started = now();
  const elapsed = () => `${((now() - started) / 1000).toFixed(1)}s`;
  let applied = 0;
  // Deletions are counted apart: they are not among the `total` rendered objects.
  let deleted = 0;
  const replicas = new Map<string, { ready: number; desired: number }>();
  const notes: string[] = [];
  let revision: string | undefined;
  // What the target is being retried for, until it answers again.
  let waiting: string | undefined;
  // After a failed rollout: the events that follow are the rollback's, counted afresh.
  let rollback: { reason: string; total: number } | undefined;

  if (!io.isTty) {
    io.out(`deploying ${options.title}: ${options.total} objects\n`);
    return {
      onProgress(event) {
        io.out(`[${elapsed()}] ${describe(event)}\n`);
      },
      finish(result) {
        io.out(`${summary(result)} in ${elapsed()}\n`);
      },
      abort() {},
    };
  }

  let drawn = 0;
  let frame = 0;
  const draw = (mark?: string) => {
    const counts = `${applied}/${rollback?.total ?? options.total}${deleted > 0 ? `, ${deleted} deleted` : ""}`;
    const lines = [
      `${mark ?? SPINNER[frame++ % SPINNER.length]} deploying ${options.title}  ${elapsed()}`,
      ...(rollback === undefined
        ? [`  objects applied  ${counts}`]
        : [`  rollout failed  ${rollback.reason}`, `  rolling back to the previous revision  ${counts}`]),
      ...[...replicas].map(([ref, r]) => `  ${ref}  ${r.ready}/${r.desired} ready`),
      ...(revision === undefined ? [] : [`  revision  ${revision}`]),
      ...notes.map((n) => `  note: ${n}`),
      ...(waiting === undefined ? [] : [`  waiting: ${waiting}`]),
    ];
    // Erase the previous frame line by line, bottom up, and draw anew from its first line. Erasing
    // lines rather than "clear to end of screen" keeps terminals such as tmux from scrolling the
    // old frame into their history on every redraw.
    const up = drawn > 0 ? `${ERASE_LINE_UP.repeat(drawn)}\r` : "";
    io.out(`${up}${lines.join("\n")}\n`);
    drawn = lines.length;
  };
  io.out(HIDE_CURSOR);
  draw();
  const timer = setInterval(() => draw(), options.tickMs ?? 100);
  timer.unref();
  const stop = (mark: string) => {
    clearInterval(timer);
    draw(mark);
    io.out(SHOW_CURSOR);
  };
  return {
    onProgress(event) {
      if (event.type === "object") {
        if (event.action === "delete") deleted++;
        else applied++;
      } else if (event.type === "replicas")
        replicas.set(event.ref, { ready: event.ready, desired: event.desired });
      else if (event.type === "revision")
        revision = `${event.id.slice(0, 12)}${event.pushed ? " (pushed)" : ""}`;
      else if (event.type === "rollback") {
        rollback = { reason: event.reason, total: event.objects };
        applied = 0;
        deleted = 0;
        replicas.clear();
      } else if (event.type === "waiting") waiting = event.over ? undefined : waitingText(event);
      else if (event.type === "note") notes.push(event.text);
      draw();
    },
    finish(result) {
      stop("✔");
      io.out(`${summary(result)} in ${elapsed()}\n`);
    },
    abort() {
      stop("✘");
    },
  };
}

function describe(event: DeployProgress): string {
  switch (event.type) {
    case "object":
      return `${event.action} ${event.ref}`;
    case "replicas":
      return `${event.ref} ${event.ready}/${event.desired} ready`;
    case "revision":
      return `committed ${event.id.slice(0, 12)}${event.pushed ? " and pushed" : ""}`;
    case "rollback":
      return `rollout failed (${event.reason}); rolling back to the previous revision (${event.objects} objects)`;
    case "note":
      return `note: ${event.text}`;
    case "applied":
      return `applied (${event.writes} objects written); following the rollout`;
    case "waiting":
      return event.over ? event.text : `waiting: ${waitingText(event)}`;
  }
}

/** `API server answered 504 Timeout 3 times; next try in 4 s (apply, waiting 12 s)` */
function waitingText(event: Extract<DeployProgress, { type: "waiting" }>): string {
  return `${event.text} (${event.phase}, waiting ${Math.round(event.waitedMs / 1000)} s)`;
}

export function summary(result: ApplyResult): string {
  const c = countChanges(result.changes);
  const counts = `${c.create} created, ${c.update} updated, ${c.delete} deleted, ${c.unchanged} unchanged`;
  return result.wrote ? counts : `nothing to change (${counts})`;
}
