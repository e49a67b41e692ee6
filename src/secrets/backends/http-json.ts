/**
 * One POST for the network key backends (JSON, or text for STS's XML), with a timeout, a size
 * cap, no redirects (a redirect would carry the token's header to another address) and errors
 * that say which service failed with its HTTP status and a fixed message of Slipway's. A remote
 * body is never quoted: an internal service's error page is not the caller's to read, and the
 * request body holds key material.
 */
import { ErrorCode, SlipwayError } from "../../core/errors.ts";

export type Fetch = typeof fetch;

const MAX_ANSWER_BYTES = 1024 * 1024;

/** AWS error types Slipway names itself (the `__type` of a JSON 1.1 error, matched, never echoed). */
const AWS_ERRORS = [
  "AccessDeniedException",
  "DisabledException",
  "ExpiredTokenException",
  "IncorrectKeyException",
  "InvalidCiphertextException",
  "InvalidKeyUsageException",
  "InvalidSignatureException",
  "KMSInvalidStateException",
  "NotFoundException",
  "ThrottlingException",
  "UnrecognizedClientException",
] as const;

const STATUS_HINTS: Readonly<Record<number, string>> = {
  400: "the request was refused",
  401: "the credentials were not accepted",
  403: "permission denied",
  404: "no such key or path",
  429: "too many requests",
  500: "internal error",
  503: "unavailable or sealed",
};

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
  let text: string;
  try {
    response = await fetchImpl(url, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await readCapped(response);
  } catch (cause) {
    throw new SlipwayError(ErrorCode.KeyBackend, `${service} at ${url} cannot be reached`, { cause });
  }
  if (response.status >= 300 && response.status < 400) {
    throw new SlipwayError(
      ErrorCode.KeyBackend,
      `${service} answered ${response.status}: a redirect, not followed`,
      {
        details: { status: response.status, url },
      },
    );
  }
  if (!response.ok) {
    throw new SlipwayError(
      ErrorCode.KeyBackend,
      `${service} answered ${response.status}: ${describe(response.status, text)}`,
      {
        details: { status: response.status, url },
      },
    );
  }
  return text;
}

async function readCapped(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      throw new Error(`answer over ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** A fixed phrase for the status, and an AWS error type when it is one of the known ones. */
function describe(status: number, text: string): string {
  const known = AWS_ERRORS.find((name) => new RegExp(`"__type"\\s*:\\s*"([^"]*#)?${name}"`).test(text));
  const hint = STATUS_HINTS[status] ?? "the request failed";
  return known ? `${known} (${hint})` : hint;
}
