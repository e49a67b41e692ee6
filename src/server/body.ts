/**
 * Reads a JSON request body with a size cap. The cap is enforced while streaming, so a client that
 * lies in (or omits) Content-Length still cannot make the server buffer more than the cap.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";

export const defaultBodyLimit = 64 * 1024;

export async function readJsonBody(request: Request, limit: number): Promise<unknown> {
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
