/**
 * The phases of a deploy on a cluster and their deadlines: `apply` (reading the live state, every
 * write and prune, with their retries) and `rollout` (following the workloads). Each runs inside
 * `ApiClient.within`, so every request of the phase shares its deadline and tells the deploy's
 * progress what it is waiting for. An apply stopped by its deadline is reported as one error that
 * says what the API server confirmed written, what it did not, its last answer, and that deploying
 * again converges (applies are idempotent: what is already written is not written again).
 */
import { ErrorCode, isSlipwayError, SlipwayError } from "../core/errors.ts";
import { objectRef } from "../core/kube-object.ts";
import { DEFAULT_DEPLOY_TIMEOUTS, type DeployProgress } from "../delivery/deploy-target.ts";
import { type ApiClient, formatMs } from "./api-client.ts";
import type { ClusterApplyRequest } from "./cluster.ts";

/** Used when a request names no apply deadline. */
export const DEFAULT_APPLY_TIMEOUT_MS = DEFAULT_DEPLOY_TIMEOUTS.applyMs;
/** Left after the rollout deadline to read the pods that explain why it was not reached. */
const ROLLOUT_DIAGNOSIS_MS = 15_000;
/** Objects listed by name in a deadline error; the rest are counted. */
const SHOWN = 8;

const toWaiting = (progress: (e: DeployProgress) => void) => (n: import("./api-client.ts").WaitNotice) =>
  progress({ type: "waiting", ...n });

/** Runs a dry run (plan) within the apply deadline: it reads what an apply would read. */
export function planPhase<T>(client: ApiClient, timeoutMs: number | undefined, fn: () => Promise<T>) {
  return client.within({ name: "apply", timeoutMs: timeoutMs ?? DEFAULT_APPLY_TIMEOUT_MS }, fn);
}

/** Runs `fn` (an apply of `requests`) as the apply phase; see the file comment. */
export async function applyPhase<T>(
  client: ApiClient,
  server: string,
  requests: readonly ClusterApplyRequest[],
  progress: (e: DeployProgress) => void,
  fn: (progress: (e: DeployProgress) => void) => Promise<T>,
): Promise<T> {
  const given = requests.map((r) => r.timeouts?.applyMs).filter((ms): ms is number => ms !== undefined);
  const timeoutMs = given.length > 0 ? Math.min(...given) : DEFAULT_APPLY_TIMEOUT_MS;
  const written: string[] = [];
  const seen = (e: DeployProgress) => {
    if (e.type === "object") written.push(e.ref);
    progress(e);
  };
  try {
    return await client.within({ name: "apply", timeoutMs, onWait: toWaiting(progress) }, () => fn(seen));
  } catch (error) {
    const missed = deadlineErrors(error);
    if (missed.length === 0) throw error;
    throw applyDeadlineError(server, timeoutMs, requests, written, missed, error as SlipwayError);
  }
}

/** Runs `fn` (following a rollout) as the rollout phase, when a deadline is given. */
export function rolloutPhase<T>(
  client: ApiClient,
  timeoutMs: number | undefined,
  progress: ((e: DeployProgress) => void) | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  return client.within(
    {
      name: "rollout",
      // Without a deadline of its own, rollout.ts stops at the workloads' progress deadlines.
      timeoutMs: timeoutMs ?? 30 * 60_000,
      // rollout.ts gives up at `timeoutMs` itself and then reads the pods to say why.
      graceMs: ROLLOUT_DIAGNOSIS_MS,
      ...(progress ? { onWait: toWaiting(progress) } : {}),
    },
    fn,
  );
}

/** The deadline errors in `error`, one object's or the combined error of several. */
function deadlineErrors(error: unknown): SlipwayError[] {
  if (!isSlipwayError(error)) return [];
  if (error.code === ErrorCode.Deadline) return [error];
  const inner = error.details.errors;
  if (!Array.isArray(inner)) return [];
  return inner
    .filter((e: { code?: string }) => e.code === ErrorCode.Deadline)
    .map(
      (e: { message: string; details: Record<string, unknown> }) =>
        new SlipwayError(ErrorCode.Deadline, e.message, { details: e.details }),
    );
}

function applyDeadlineError(
  server: string,
  timeoutMs: number,
  requests: readonly ClusterApplyRequest[],
  written: readonly string[],
  missed: readonly SlipwayError[],
  original: SlipwayError,
): SlipwayError {
  const done = new Set(written);
  const rendered = [...new Set(requests.flatMap((r) => r.objects.map(objectRef)))];
  const notConfirmed = rendered.filter((ref) => !done.has(ref));
  const inDoubt = missed
    .filter((e) => e.details.inDoubt === true && typeof e.details.ref === "string")
    .map((e) => String(e.details.ref));
  const lastAnswer = missed.map((e) => e.details.lastAnswer).find((a) => typeof a === "string") as
    | string
    | undefined;
  const other = isSlipwayError(original) && original.code !== ErrorCode.Deadline ? original : undefined;
  const list = (refs: readonly string[]) =>
    refs.length === 0
      ? "none"
      : `${refs.slice(0, SHOWN).join(", ")}${refs.length > SHOWN ? ` and ${refs.length - SHOWN} more` : ""}`;
  const scopes = requests.map((r) => `${r.scope.app} → ${r.scope.target}`).join(", ");
  const lines = [
    `the apply of ${scopes} to ${server} did not finish within its deadline (apply timeout ${formatMs(timeoutMs)}).`,
    `  written, as the API server confirmed: ${written.length} — ${list(written)}`,
    `  not confirmed: ${notConfirmed.length} of ${rendered.length} rendered objects — ${list(notConfirmed)}` +
      (inDoubt.length > 0
        ? ` (${inDoubt.length} of them sent without an answer, which the API server may still have carried out: ${list(inDoubt)})`
        : ""),
    `  the API server's last answer: ${lastAnswer ?? "none (no request got an answer)"}`,
    ...(other ? [`  also: ${other.message}`] : []),
    "Nothing was rolled back. Deploy again once the API server answers: the rerun writes what is missing and " +
      "nothing that is already as rendered.",
  ];
  return new SlipwayError(ErrorCode.Deadline, lines.join("\n"), {
    details: {
      phase: "apply",
      timeoutMs,
      server,
      written: [...written],
      notConfirmed,
      inDoubt,
      lastAnswer: lastAnswer ?? null,
    },
  });
}
