/**
 * Adaptive concurrency for API requests (additive increase, multiplicative decrease), so a large
 * apply runs as fast as the API server lets it without a storm of 429s: API Priority and Fairness
 * answers an overloaded flow with 429 + Retry-After, and the right response is fewer requests in
 * flight, not the same number retried. Pure logic plus timers; no I/O of its own.
 */
export interface LimiterOptions {
  readonly initial: number;
  readonly min: number;
  readonly max: number;
}

export class AdaptiveLimiter {
  #limit: number;
  #inFlight = 0;
  #successes = 0;
  #lastDecrease = 0;
  readonly #waiters: (() => void)[] = [];
  readonly #opts: LimiterOptions;

  constructor(opts: LimiterOptions) {
    this.#opts = opts;
    this.#limit = opts.initial;
  }

  get limit(): number {
    return this.#limit;
  }

  /** Runs `fn` when a slot is free. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#inFlight >= this.#limit) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    this.#inFlight++;
    try {
      return await fn();
    } finally {
      this.#inFlight--;
      this.#wake();
    }
  }

  /** A request went through: after a window's worth of successes, allow one more in flight. */
  onSuccess(): void {
    if (++this.#successes >= this.#limit && this.#limit < this.#opts.max) {
      this.#limit++;
      this.#successes = 0;
      this.#wake();
    }
  }

  /** The server pushed back (429/503/5xx): halve, at most once per `coolDownMs`, never below min. */
  onThrottle(now = Date.now(), coolDownMs = 500): void {
    this.#successes = 0;
    if (now - this.#lastDecrease < coolDownMs) return;
    this.#lastDecrease = now;
    this.#limit = Math.max(this.#opts.min, Math.floor(this.#limit / 2));
  }

  #wake(): void {
    // Woken waiters re-check the limit before they take a slot, so waking one too many is harmless.
    for (let free = this.#limit - this.#inFlight; free > 0 && this.#waiters.length > 0; free--) {
      this.#waiters.shift()?.();
    }
  }
}

/**
 * Exponential backoff with full jitter, honouring the server's Retry-After when it gives one.
 * `capMs`: the longest wait between tries (5 s for an overloaded server; less for one that is
 * restarting, so a deploy resumes soon after it is back).
 */
export function backoffMs(
  attempt: number,
  retryAfterSeconds?: number,
  random = Math.random,
  capMs = 5000,
): number {
  if (retryAfterSeconds !== undefined) return retryAfterSeconds * 1000 * (0.5 + random() * 0.5);
  const cap = Math.min(capMs, 100 * 2 ** attempt);
  return Math.round(cap * (0.5 + random() * 0.5));
}
