/**
 * A line diff in the unified format people know from `git diff`, small enough to keep here
 * rather than pull in a dependency: manifests are a few hundred lines at most, so a plain
 * longest-common-subsequence table is fast enough and always gives a minimal diff.
 */

type Op = { readonly tag: " " | "-" | "+"; readonly line: string };

export interface DiffLabels {
  readonly oldLabel: string;
  readonly newLabel: string;
  /** Unchanged lines shown around each change. */
  readonly context?: number;
}

/** The unified diff of two texts, or "" when they are equal. */
export function unifiedDiff(oldText: string, newText: string, labels: DiffLabels): string {
  if (oldText === newText) return "";
  const ops = diffLines(splitLines(oldText), splitLines(newText));
  const hunks = toHunks(ops, labels.context ?? 3);
  return `${[`--- ${labels.oldLabel}`, `+++ ${labels.newLabel}`, ...hunks].join("\n")}\n`;
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  // lcs[i * (m + 1) + j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] =
        a[i] === b[j]
          ? lcs[(i + 1) * (m + 1) + j + 1]! + 1
          : Math.max(lcs[(i + 1) * (m + 1) + j]!, lcs[i * (m + 1) + j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ tag: " ", line: a[i++]! });
      j++;
    } else if (j < m && (i === n || lcs[i * (m + 1) + j + 1]! >= lcs[(i + 1) * (m + 1) + j]!)) {
      ops.push({ tag: "+", line: b[j++]! });
    } else {
      ops.push({ tag: "-", line: a[i++]! });
    }
  }
  return reorderRemovalsFirst(ops);
}

/** Within each run of changes, removals before additions, as `git diff` prints them. */
function reorderRemovalsFirst(ops: Op[]): Op[] {
  const out: Op[] = [];
  let run: Op[] = [];
  const flush = () => {
    out.push(...run.filter((o) => o.tag === "-"), ...run.filter((o) => o.tag === "+"));
    run = [];
  };
  for (const op of ops) {
    if (op.tag === " ") {
      flush();
      out.push(op);
    } else {
      run.push(op);
    }
  }
  flush();
  return out;
}

function toHunks(ops: readonly Op[], context: number): string[] {
  const changed = ops.flatMap((op, index) => (op.tag === " " ? [] : [index]));
  const lines: string[] = [];
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, changed[k]! - context);
    let end = Math.min(ops.length, changed[k]! + context + 1);
    // Merge the following changes while their context touches this hunk's.
    while (k + 1 < changed.length && changed[k + 1]! - context <= end) {
      k++;
      end = Math.min(ops.length, changed[k]! + context + 1);
    }
    k++;
    const before = ops.slice(0, start);
    const body = ops.slice(start, end);
    const oldStart = before.filter((o) => o.tag !== "+").length;
    const newStart = before.filter((o) => o.tag !== "-").length;
    const oldCount = body.filter((o) => o.tag !== "+").length;
    const newCount = body.filter((o) => o.tag !== "-").length;
    lines.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`);
    for (const op of body) lines.push(`${op.tag}${op.line}`);
  }
  return lines;
}

/** `start,count` with 1-based start; an empty side names the line before it, as GNU diff does. */
function range(zeroBasedStart: number, count: number): string {
  return `${count === 0 ? zeroBasedStart : zeroBasedStart + 1},${count}`;
}
