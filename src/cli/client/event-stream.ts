/**
 * Reads `GET /api/v1/events` (Server-Sent Events) as a sequence of status events. A connection
 * that drops (a server restarting, a replica killed behind a load balancer) is opened again with
 * Last-Event-ID, so nothing is missed and nothing shown twice; it gives up after `retryForMs`
 * without an answer.
 */
import { type ApiStatusEvent, statusEventSchema } from "../../api/events.ts";
import { errorBodySchema } from "../../api/resources.ts";
import { ErrorCode, isSlipwayError, SlipwayError } from "../../core/errors.ts";
import { printable } from "../table.ts";
import { unreachable } from "./api-client.ts";

export interface EventStreamOptions {
  readonly server: string;
  readonly token: string;
  readonly deployment?: string;
  readonly fetch?: typeof fetch;
  /** How long to keep trying to reconnect (default 60 s). */
  readonly retryForMs?: number;
  /** Told when the connection dropped and is being opened again. */
  readonly onReconnect?: (why: string) => void;
}

export async function* statusEvents(options: EventStreamOptions): AsyncGenerator<ApiStatusEvent> {
  const server = options.server.replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const url = `${server}/api/v1/events${options.deployment ? `?deployment=${encodeURIComponent(options.deployment)}` : ""}`;
  let lastId: number | undefined;
  let failingSince: number | undefined;
  for (;;) {
    let response: Response;
    try {
      response = await doFetch(url, {
        headers: {
          authorization: `Bearer ${options.token}`,
          accept: "text/event-stream",
          ...(lastId === undefined ? {} : { "last-event-id": String(lastId) }),
        },
      });
    } catch (error) {
      failingSince ??= Date.now();
      if (lastId === undefined || Date.now() - failingSince > (options.retryForMs ?? 60_000)) {
        throw unreachable(server, error);
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      continue;
    }
    if (!response.ok) throw await refusal(response);
    failingSince = undefined;
    try {
      for await (const event of messages(response)) {
        lastId = event.seq;
        yield event;
      }
    } catch (error) {
      if (isSlipwayError(error)) throw error;
      // The connection dropped mid-stream: open it again from the last event.
    }
    options.onReconnect?.(`the connection to ${server} closed; reconnecting after event ${lastId ?? 0}`);
    failingSince ??= Date.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function* messages(response: Response): AsyncGenerator<ApiStatusEvent> {
  if (response.body === null) return;
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true }).replace(/\r\n?/g, "\n");
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length === 0) continue;
      if (event === "error") {
        const message = (JSON.parse(data.join("\n")) as { message?: unknown }).message;
        throw new SlipwayError(
          ErrorCode.Unavailable,
          `the server ended the event stream: ${printable(String(message))}`,
        );
      }
      if (event !== "status") continue;
      const parsed = statusEventSchema.safeParse(JSON.parse(data.join("\n")));
      if (!parsed.success) {
        throw new SlipwayError(
          ErrorCode.Internal,
          "unexpected event from the server: is it the same version?",
        );
      }
      yield parsed.data;
    }
  }
}

async function refusal(response: Response): Promise<SlipwayError> {
  const body = errorBodySchema.safeParse(await response.json().catch(() => undefined));
  if (!body.success) return new SlipwayError(ErrorCode.Internal, `the server answered ${response.status}`);
  const code = isSlipwayError({ code: body.data.error.code })
    ? (body.data.error.code as ErrorCode)
    : ErrorCode.Internal;
  return new SlipwayError(code, printable(body.data.error.message), { details: body.data.error.details });
}
