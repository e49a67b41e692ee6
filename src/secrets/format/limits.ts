/**
 * Limits every SOPS format reader applies, because files come from app repositories and branches:
 * a file may be crafted to exhaust memory, the stack or the CPU. Real secrets files are far below
 * them; a file above one is refused with an error naming the file and the limit, never a crash.
 */
import { ErrorCode, SlipwayError } from "../../core/errors.ts";

/** Bytes of one file, encrypted or plain (a binary file included). */
export const MAX_DOCUMENT_BYTES = 32 * 1024 * 1024;

/** Maps and lists inside one another. */
export const MAX_NESTING = 200;

export function checkSize(bytes: Uint8Array, file: string): void {
  if (bytes.length > MAX_DOCUMENT_BYTES) {
    throw new SlipwayError(
      ErrorCode.TooLarge,
      `${file}: ${bytes.length} bytes; a secrets file may hold at most ${MAX_DOCUMENT_BYTES} bytes`,
      { details: { file, limit: MAX_DOCUMENT_BYTES } },
    );
  }
}

/** `where` is `file:line:column` or the file name. */
export function tooDeep(where: string): SlipwayError {
  return new SlipwayError(
    ErrorCode.Input,
    `${where}: maps and lists are nested more than ${MAX_NESTING} levels deep; a secrets file may nest at most ${MAX_NESTING}`,
    { details: { limit: MAX_NESTING } },
  );
}
