/**
 * Reads a JSON request body, only when it is declared as JSON, with a size cap. The cap is enforced
 * while streaming, so a client that lies in (or omits) Content-Length still cannot make the server
 * buffer more than the cap.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";

export const defaultBodyLimit = 64 * 1024;

/**
 * `application/json` or any `+json` type, with or without parameters. Anything else is refused
 * before the body is read: a form or `text/plain` body read as JSON is how a cross-site form post
 * gets in without a CORS preflight.
 */
export function isJsonMediaType(contentType: string | null): boolean {
  const essence = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  return essence === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(essence);
}

export async function readJsonBody(request: Request, limit: number): Promise<unknown> {
  const contentType = request.headers.get("content-type");
  if (!isJsonMediaType(contentType)) {
    throw new SlipwayError(
      ErrorCode.UnsupportedMediaType,
      `${request.method} ${new URL(request.url).pathname} reads JSON: send the body with Content-Type: application/json${contentType === null ? "" : ` (not ${contentType.slice(0, 100)})`}`,
      { details: { contentType: contentType?.slice(0, 100) ?? null } },
    );
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw tooLarge(limit);
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body !== null) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") {
    throw new SlipwayError(ErrorCode.Input, "the request needs a JSON body");
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SlipwayError(
      ErrorCode.Input,
      `the request body is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
}

function tooLarge(limit: number): SlipwayError {
  return new SlipwayError(ErrorCode.TooLarge, `the request body is larger than ${limit} bytes`, {
    details: { limit },
  });
}
