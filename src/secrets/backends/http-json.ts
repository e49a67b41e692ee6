/**
 * One POST for the network key backends (JSON, or text for STS's XML), with a timeout and errors that say which service
 * failed and how (status and the service's own message), never the request body: it holds key
 * material.
 */
import { ErrorCode, SlipwayError } from "../../core/errors.ts";

export type Fetch = typeof fetch;

export async function postJson(
  fetchImpl: Fetch,
  service: string,
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs = 15_000,
): Promise<unknown> {
  const text = await postText(fetchImpl, service, url, headers, body, timeoutMs);
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new SlipwayError(ErrorCode.KeyBackend, `${service} answered with invalid JSON`, { cause });
  }
}

export async function postText(
  fetchImpl: Fetch,
  service: string,
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs = 15_000,
): Promise<string> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (cause) {
    throw new SlipwayError(ErrorCode.KeyBackend, `${service} at ${url} cannot be reached`, { cause });
  }
  const text = await response.text();
  if (!response.ok) {
    throw new SlipwayError(
      ErrorCode.KeyBackend,
      `${service} answered ${response.status}: ${summarize(text)}`,
      {
        details: { status: response.status, url },
      },
    );
  }
  return text;
}

function summarize(text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: unknown; message?: unknown; __type?: unknown };
    if (Array.isArray(body.errors)) return body.errors.join("; ");
    if (body.__type || body.message) return [body.__type, body.message].filter(Boolean).join(": ");
  } catch {
    // Not JSON: fall through to the raw (shortened) text.
  }
  return text.slice(0, 200);
}
