/**
 * Requests to the API server with bounded, adaptive parallelism, retries and deadlines:
 *
 * - Every attempt has a timeout (`requestTimeoutMs`): a server that accepted the connection and
 *   then says nothing (a frozen etcd behind it) is a failed attempt, not a hang.
 * - 429 and 5xx, dropped connections and attempts without an answer are retried with backoff
 *   (Retry-After honoured) and shrink the number of requests in flight — until the deadline of the
 *   phase the request belongs to (`within`), or `defaultDeadlineMs` for a request outside one.
 *   The deadline, not a count of attempts, ends the retrying, so a restart of the API server is
 *   ridden out and a dead one is given up on at a time the user chose.
 * - A server that never answered during this client's life and refuses the connection is a wrong
 *   address or a stopped cluster: that fails after a few quick tries. A TLS failure fails at once.
 * - While retrying, the phase's `onWait` is told what the API server answered and when the next
 *   try is, at once and then every few seconds, so a person sees why nothing moves.
 * Any other failure becomes a typed SlipwayError (api-errors.ts). Counts requests for ApplyStats.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import {
  apiError,
  type NetworkFailure,
  networkFailure,
  type RequestContext,
  shortAnswer,
  tlsError,
  unreachableError,
} from "./api-errors.ts";
import { AdaptiveLimiter, backoffMs } from "./limiter.ts";
import type { HttpRequest, HttpResponse, Transport } from "./transport.ts";

const RETRYABLE = new Set([429, 500, 502, 503, 504]);
/** Refused connections tried before giving up on a server that never answered. */
const REFUSED_TRIES_BEFORE_ANY_ANSWER = 3;
const NO_TIME_LEFT: NetworkFailure = { kind: "timeout", code: "ETIMEDOUT", said: "gave no answer in time" };
/** The longest a restarted API server is waited for to say it is ready (then requests go on). */
const READY_WAIT_MS = 30_000;
/** Waiting notices after the first: at most this often, unless what the server says changes. */
const NOTICE_EVERY_MS = 3000;

export interface ApiClientOptions {
  readonly initialConcurrency?: number;
  readonly maxConcurrency?: number;
  /** One attempt's limit without an answer (default 10 s). */
  readonly requestTimeoutMs?: number;
  /** The deadline of a request made outside `within` (default 2 minutes). */
  readonly defaultDeadlineMs?: number;
}

/** What the client is waiting for, told to a phase's `onWait`. */
export interface WaitNotice {
  readonly phase: string;
  /** `API server answered 504 Timeout 3 times; next try in 4 s` */
  readonly text: string;
  /** The last answer, in a few words: `504 Timeout`, `refused the connection`. */
  readonly answer: string;
  /** Failed attempts since the last success, in this phase. */
  readonly failures: number;
  readonly nextTryMs: number;
  /** The server answered again: the wait is over. */
  readonly over: boolean;
  readonly waitedMs: number;
}

export interface Phase {
  /** `apply`, `rollout`: named in deadline errors and notices. */
  readonly name: string;
  readonly timeoutMs: number;
  /** Extra time requests may take after `timeoutMs` (to explain a deadline the caller enforces itself). */
  readonly graceMs?: number;
  readonly onWait?: (notice: WaitNotice) => void;
}

/** A phase in progress: its deadline, and the failures seen since the last success. */
class PhaseRun {
  readonly name: string;
  readonly timeoutMs: number;
  readonly deadline: number;
  readonly #onWait: ((notice: WaitNotice) => void) | undefined;
  failures = 0;
  sameAnswer = 0;
  lastAnswer: string | undefined;
  #waitingSince = 0;
  #noticeAt = 0;

  constructor(phase: Phase, now: number) {
    this.name = phase.name;
    this.timeoutMs = phase.timeoutMs;
    this.deadline = now + phase.timeoutMs + (phase.graceMs ?? 0);
    this.#onWait = phase.onWait;
  }

  failed(answer: string, nextTryMs: number, now: number): void {
    if (this.failures === 0) this.#waitingSince = now;
    this.failures++;
    const changed = answer !== this.lastAnswer;
    this.sameAnswer = changed ? 1 : this.sameAnswer + 1;
    this.lastAnswer = answer;
    if (!changed && this.failures > 1 && now - this.#noticeAt < NOTICE_EVERY_MS) return;
    this.#noticeAt = now;
    const times = this.sameAnswer === 1 ? "once" : `${this.sameAnswer} times`;
    const next = nextTryMs < 1000 ? "next try at once" : `next try in ${Math.round(nextTryMs / 1000)} s`;
    this.#onWait?.({
      phase: this.name,
      text: `API server ${answer} ${times}; ${next}`,
      answer,
      failures: this.failures,
      nextTryMs,
      over: false,
      waitedMs: now - this.#waitingSince,
    });
  }

  answered(now: number): void {
    if (this.failures === 0) return;
    const waitedMs = now - this.#waitingSince;
    this.#onWait?.({
      phase: this.name,
      text: `API server answers again (after ${this.failures} failed attempts, ${(waitedMs / 1000).toFixed(1)} s)`,
      answer: "ok",
      failures: this.failures,
      nextTryMs: 0,
      over: true,
      waitedMs,
    });
    this.failures = 0;
    this.sameAnswer = 0;
    this.#noticeAt = 0;
  }
}

export class ApiClient {
  readonly transport: Transport;
  readonly limiter: AdaptiveLimiter;
  requests = 0;
  throttled = 0;
  readonly #requestTimeoutMs: number;
  readonly #defaultDeadlineMs: number;
  readonly #phase = new AsyncLocalStorage<PhaseRun>();
  /** Whether the server ever answered this client: a refused connection after that is a restart. */
  #answered = false;
  /**
   * Since when (epoch ms) the connection failed and the server may be restarting. A restarted API
   * server takes requests before it is ready and, until its authorizer has synced, denies them
   * (403): so until it says it is ready (/readyz), requests wait, for at most `READY_WAIT_MS`.
   */
  #restartingSince: number | undefined;
  #readyProbe: Promise<number | undefined> | undefined;

  constructor(transport: Transport, opts: ApiClientOptions = {}) {
    this.transport = transport;
    const max = opts.maxConcurrency ?? 48;
    this.limiter = new AdaptiveLimiter({
      initial: Math.min(opts.initialConcurrency ?? 16, max),
      min: 2,
      max,
    });
    this.#requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.#defaultDeadlineMs = opts.defaultDeadlineMs ?? 120_000;
  }

  /**
   * Runs `fn` as one phase of an operation: every request it makes (however deep) shares the
   * phase's deadline and reports waits to its `onWait`.
   */
  within<T>(phase: Phase, fn: () => Promise<T>): Promise<T> {
    return this.#phase.run(new PhaseRun(phase, Date.now()), fn);
  }

  /** The deadline of the phase in progress (epoch ms), if any: for loops that poll. */
  phaseDeadline(): number | undefined {
    return this.#phase.getStore()?.deadline;
  }

  /** The response when its status is in `ok`; otherwise a SlipwayError describing `ctx`. */
  async call(
    req: HttpRequest,
    ctx: RequestContext,
    ok: readonly number[] = [200, 201],
  ): Promise<HttpResponse> {
    const phase =
      this.#phase.getStore() ??
      new PhaseRun({ name: "request", timeoutMs: this.#defaultDeadlineMs }, Date.now());
    let refused = 0;
    let sent = false;
    let last: string | undefined;
    for (let attempt = 0; ; attempt++) {
      if (phase.deadline <= Date.now()) throw deadlineError(phase, ctx, sent, last ?? phase.lastAnswer);
      const outcome = await this.limiter.run(async () => {
        const starting = await this.#notReadyYet(phase.deadline);
        if (starting !== undefined) return starting;
        // Waiting for a slot (and for /readyz) took some of the time left.
        const rest = Math.min(this.#requestTimeoutMs, phase.deadline - Date.now());
        if (rest <= 0) return { failure: NO_TIME_LEFT, message: NO_TIME_LEFT.said };
        return this.#sendOnce({ ...req, timeoutMs: rest });
      });
      if ("res" in outcome && !RETRYABLE.has(outcome.res.status)) {
        this.#answered = true;
        this.limiter.onSuccess();
        phase.answered(Date.now());
        if (ok.includes(outcome.res.status)) return outcome.res;
        throw apiError(outcome.res.status, outcome.res.body, ctx);
      }
      let retryAfter: number | undefined;
      if ("res" in outcome) {
        this.#answered = true;
        sent = true;
        last = `answered ${shortAnswer(outcome.res.status, outcome.res.body)}`;
        retryAfter = outcome.res.retryAfter;
      } else {
        const f = outcome.failure;
        // The deadline came while waiting for a slot: nothing was sent; the loop reports it.
        if (f === NO_TIME_LEFT) continue;
        if (f.kind === "tls") throw tlsError(this.transport.server, f, outcome.message);
        if (f.kind === "dns") throw unreachableError(this.transport.server, f, 1);
        if (f.kind === "refused" && !this.#answered && ++refused >= REFUSED_TRIES_BEFORE_ANY_ANSWER) {
          throw unreachableError(this.transport.server, f, refused);
        }
        // A refused connection carried nothing; a dropped or unanswered one may have been written.
        if (f.kind !== "refused" && f.kind !== "starting") sent = true;
        if (this.#answered && f.kind !== "starting") this.#restartingSince ??= Date.now();
        last = f.said;
      }
      this.throttled++;
      this.limiter.onThrottle();
      // A server that is down or starting is tried again within a second or two of coming back;
      // one that answers "overloaded" is given longer.
      const cap = "res" in outcome ? 5000 : 1500;
      const wait = Math.min(
        backoffMs(attempt, retryAfter, Math.random, cap),
        Math.max(0, phase.deadline - Date.now()),
      );
      phase.failed(last, wait, Date.now());
      await sleep(wait);
    }
  }

  /**
   * After the connection failed: asks /readyz (unauthenticated paths need no RBAC) and, while the
   * server is not ready, returns a failure to wait on instead of sending the request.
   */
  async #notReadyYet(deadline: number): Promise<{ failure: NetworkFailure; message: string } | undefined> {
    const timeoutMs = Math.max(1, Math.min(3000, deadline - Date.now()));
    const since = this.#restartingSince;
    if (since === undefined) return undefined;
    if (Date.now() - since > READY_WAIT_MS) {
      this.#restartingSince = undefined;
      return undefined;
    }
    // One question for all the requests waiting at once, not one each.
    this.#readyProbe ??= (async () => {
      this.requests++;
      const res = await this.transport
        .send({ method: "GET", path: "/readyz", timeoutMs })
        .catch(() => undefined);
      return res?.status;
    })().finally(() => {
      this.#readyProbe = undefined;
    });
    const status = await this.#readyProbe;
    if (status === 200) {
      this.#restartingSince = undefined;
      return undefined;
    }
    const said =
      status === undefined
        ? "gave no answer to /readyz"
        : `says it is not ready (/readyz answered ${status})`;
    return { failure: { kind: "starting", code: String(status ?? "none"), said }, message: said };
  }

  /** One attempt: an HTTP answer, or how the connection failed when that is worth knowing. */
  async #sendOnce(
    req: HttpRequest,
  ): Promise<{ res: HttpResponse } | { failure: NetworkFailure; message: string }> {
    this.requests++;
    try {
      return { res: await this.transport.send(req) };
    } catch (e) {
      const failure = networkFailure(e);
      if (failure === undefined) throw e;
      return { failure, message: e instanceof Error ? e.message : String(e) };
    }
  }
}

function deadlineError(
  phase: PhaseRun,
  ctx: RequestContext,
  sent: boolean,
  last: string | undefined,
): SlipwayError {
  const what = ctx.ref ?? `${ctx.verb} ${ctx.resource}${ctx.name ? ` "${ctx.name}"` : ""}`;
  return new SlipwayError(
    ErrorCode.Deadline,
    `${what}: no successful answer from the API server within the ${phase.name} deadline (${formatMs(phase.timeoutMs)})` +
      (last ? `; the API server's last answer: ${last}` : ""),
    {
      details: {
        phase: phase.name,
        timeoutMs: phase.timeoutMs,
        lastAnswer: last ?? null,
        // Sent and never answered: the server may have carried it out.
        inDoubt: sent && ctx.verb !== "get" && ctx.verb !== "list",
        ...ctx,
      },
    },
  );
}

export function formatMs(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)}s` : `${ms}ms`;
}
