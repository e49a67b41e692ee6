/**
 * `GET /api/v1/events`: deployment status changes as Server-Sent Events, each with its number in
 * the store's event sequence as the SSE id. A client that reconnects with `Last-Event-ID` (browsers'
 * EventSource do it by themselves) gets everything after that number and nothing twice: the store
 * numbers events in commit order (`event-queries.ts`), so no later commit can slip in below it.
 *
 * A caller sees only the events of their teams' apps (platform administrators: all). Without a
 * starting point the stream begins now; with `deployment=<id>` it begins with that deployment's
 * whole history, which is what `slipway deployments watch` shows.
 *
 * One poller per server numbers newly committed events (`numberEvents`), reads the newest number
 * and wakes the streams waiting past it; each stream then reads its own page.
 */
import type { Hono } from "hono";
import { z } from "zod";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import { notFound } from "../../store/context.ts";
import type { StatusEvent } from "../../store/records.ts";
import type { Store } from "../../store/store.ts";
import type { Authenticator } from "../auth/authenticate.ts";
import { authorize, visibleTeams } from "../auth/principal.ts";
import { invalidInput, type Logger } from "../http-errors.ts";

export interface EventStreamDeps {
  readonly store: Store;
  readonly authenticate: Authenticator;
  readonly logger: Logger;
  /** How often the newest event number is read while streams wait (default 200 ms). */
  readonly pollMs?: number;
  /** A comment line this often keeps proxies from closing a quiet stream (default 15 s). */
  readonly heartbeatMs?: number;
}

const eventsQuery = z.strictObject({
  deployment: z
    .string()
    .regex(/^dep_[0-9a-f]{28}$/, { message: "is not a deployment id" })
    .optional(),
  /** The same as Last-Event-ID, for clients that cannot set headers. */
  after: z.coerce.number().int().nonnegative().optional(),
});

const pageSize = 200;

export function mountEvents(app: Hono, deps: EventStreamDeps): void {
  const hub = new EventHub(deps.store, deps.pollMs ?? 200);
  const heartbeatMs = deps.heartbeatMs ?? 15_000;

  app.get("/api/v1/events", async (c) => {
    const authorization = c.req.header("authorization");
    const principal = await deps.authenticate.authenticate(authorization);
    authorize(principal, { scope: "authenticated" }, undefined);
    const parsed = eventsQuery.safeParse(c.req.query());
    if (!parsed.success) throw invalidInput("query", parsed.error);
    const query = parsed.data;
    const lastEventId = c.req.header("last-event-id");
    if (lastEventId !== undefined && !/^\d{1,15}$/.test(lastEventId.trim())) {
      throw new SlipwayError(
        ErrorCode.Input,
        `header Last-Event-ID "${lastEventId.slice(0, 40)}" is not an event number: send the id of the last event received`,
        { details: { header: "last-event-id" } },
      );
    }
    let teams = visibleTeams(principal);
    if (query.deployment !== undefined) {
      // Another team's deployment answers exactly as a missing one.
      const deployment = await deps.store.getDeployment(query.deployment);
      const { teamName } = await deps.store.getApp(deployment.appName);
      if (teams !== undefined && !teams.includes(teamName)) throw notFound("deployment", query.deployment);
    }
    await deps.store.numberEvents();
    let cursor =
      lastEventId !== undefined
        ? Number(lastEventId.trim())
        : (query.after ?? (query.deployment !== undefined ? 0 : await deps.store.lastEventSeq()));

    const encoder = new TextEncoder();
    const closed = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const send = (text: string) => controller.enqueue(encoder.encode(text));
        const loop = async () => {
          send(`retry: 2000\n: events after ${cursor}\n\n`);
          let beatAt = Date.now() + heartbeatMs;
          while (!closed.signal.aborted) {
            const events = await deps.store.listEvents({
              after: cursor,
              teams,
              deploymentId: query.deployment,
              limit: pageSize,
            });
            for (const event of events) {
              send(format(event));
              cursor = event.seq;
            }
            if (events.length === pageSize) continue;
            await hub.wait(cursor, Math.max(0, beatAt - Date.now()), closed.signal);
            if (Date.now() >= beatAt) {
              // A revoked token ends the stream here, not never; a removed membership narrows it to
              // the teams the caller still belongs to.
              teams = visibleTeams(await deps.authenticate.authenticate(authorization));
              send(": keep-alive\n\n");
              beatAt = Date.now() + heartbeatMs;
            }
          }
        };
        loop().then(
          () => {
            // Only the client ends a stream, and a cancelled stream is closed already.
            if (!closed.signal.aborted) controller.close();
          },
          (error: unknown) => {
            if (closed.signal.aborted) return;
            const message = error instanceof Error ? error.message : String(error);
            deps.logger.info(`event stream ended: ${message}`);
            try {
              send(`event: error\ndata: ${JSON.stringify({ message })}\n\n`);
              controller.close();
            } catch {
              // The client went away meanwhile.
            }
          },
        );
      },
      cancel: () => closed.abort(),
    });
    c.req.raw.signal.addEventListener("abort", () => closed.abort(), { once: true });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "x-accel-buffering": "no",
        "cache-control": "no-store",
      },
    });
  });
}

function format(event: StatusEvent): string {
  // JSON has no raw newlines, so the data is one line and the id cannot break the framing.
  return `id: ${event.seq}\nevent: status\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Wakes the streams waiting for events past a number; polls only while some wait. */
class EventHub {
  readonly #store: Store;
  readonly #pollMs: number;
  readonly #waiters = new Set<{ after: number; wake: () => void }>();
  #timer: NodeJS.Timeout | undefined;

  constructor(store: Store, pollMs: number) {
    this.#store = store;
    this.#pollMs = pollMs;
  }

  wait(after: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const waiter = {
        after,
        wake: () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", waiter.wake);
          this.#waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, timeoutMs);
      signal.addEventListener("abort", waiter.wake, { once: true });
      this.#waiters.add(waiter);
      this.#start();
    });
  }

  #start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(async () => {
      try {
        // Events get their numbers once committed; numbering is cheap when there is nothing new.
        await this.#store.numberEvents();
        const newest = await this.#store.lastEventSeq();
        for (const waiter of [...this.#waiters]) if (waiter.after < newest) waiter.wake();
      } catch {
        // The database is away: the streams keep waiting, their heartbeats keep them open.
      } finally {
        this.#timer = undefined;
        if (this.#waiters.size > 0) this.#start();
      }
    }, this.#pollMs);
    this.#timer.unref();
  }
}
