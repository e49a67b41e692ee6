/**
 * Requests to the API server with bounded, adaptive parallelism and retries: 429 and 5xx (and
 * dropped connections) are retried with backoff and shrink the number of requests in flight;
 * any other failure becomes a typed SlipwayError (api-errors.ts). Counts requests for ApplyStats.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { apiError, type RequestContext } from "./api-errors.ts";
import { AdaptiveLimiter, backoffMs } from "./limiter.ts";
import type { HttpRequest, HttpResponse, Transport } from "./transport.ts";

const RETRYABLE = new Set([429, 500, 502, 503, 504]);
const TRANSIENT_NET = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT"]);
const MAX_ATTEMPTS = 6;

export interface ApiClientOptions {
  readonly initialConcurrency?: number;
  readonly maxConcurrency?: number;
}

export class ApiClient {
  readonly transport: Transport;
  readonly limiter: AdaptiveLimiter;
  requests = 0;
  throttled = 0;

  constructor(transport: Transport, opts: ApiClientOptions = {}) {
    this.transport = transport;
    const max = opts.maxConcurrency ?? 48;
    this.limiter = new AdaptiveLimiter({
      initial: Math.min(opts.initialConcurrency ?? 16, max),
      min: 2,
      max,
    });
  }

  /** The response when its status is in `ok`; otherwise a SlipwayError describing `ctx`. */
  async call(
    req: HttpRequest,
    ctx: RequestContext,
    ok: readonly number[] = [200, 201],
  ): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.limiter.run(() => this.#sendOnce(req));
      if (res !== undefined && !RETRYABLE.has(res.status)) {
        this.limiter.onSuccess();
        if (ok.includes(res.status)) return res;
        throw apiError(res.status, res.body, ctx);
      }
      this.throttled++;
      this.limiter.onThrottle();
      if (attempt + 1 >= MAX_ATTEMPTS) {
        if (res) throw apiError(res.status, res.body, ctx);
        throw apiError(
          503,
          `{"message":"connection to ${this.transport.server} failed ${MAX_ATTEMPTS} times"}`,
          ctx,
        );
      }
      await sleep(backoffMs(attempt, res?.retryAfter));
    }
  }

  /** One attempt; undefined for a transient network failure worth retrying. */
  async #sendOnce(req: HttpRequest): Promise<HttpResponse | undefined> {
    this.requests++;
    try {
      return await this.transport.send(req);
    } catch (e) {
      if (TRANSIENT_NET.has((e as NodeJS.ErrnoException).code ?? "")) return undefined;
      throw e;
    }
  }
}
