/**
 * Strict UTF-8 decoding of a user's file. Decoding with replacement turns a Latin-1 `Café` into
 * `Caf\uFFFD` without a word, and the wrong text would reach the cluster; a file that is not UTF-8
 * is refused with the byte's offset, line and column instead.
 */
import { isUtf8 } from "node:buffer";
import { ErrorCode, SlipwayError } from "../core/errors.ts";

const decoder = new TextDecoder("utf-8");

export function decodeUtf8(bytes: Uint8Array, file: string): string {
  if (isUtf8(bytes)) return decoder.decode(bytes);
  const offset = firstInvalidByte(bytes);
  const before = decoder.decode(bytes.subarray(0, offset));
  const lineStart = before.lastIndexOf("\n") + 1;
  const line = before.split("\n").length;
  const column = [...before.slice(lineStart)].length + 1;
  const byte = bytes[offset]!.toString(16).toUpperCase().padStart(2, "0");
  throw new SlipwayError(ErrorCode.Input, `${file} is not UTF-8 text`, {
    problems: [
      {
        file,
        line,
        column,
        path: "",
        message: `byte 0x${byte} at offset ${offset} is not UTF-8`,
        hint: "save the file as UTF-8, e.g. with `iconv -f latin1 -t utf-8`",
      },
    ],
  });
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const length =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    const end = i + length;
    if (end > bytes.length) return i;
    // The second byte's range narrows after E0, ED, F0 and F4 (no overlongs, surrogates, > U+10FFFF).
    const second = bytes[i + 1];
    if (length > 1) {
      const low = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
      const high = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
      if (second === undefined || second < low || second > high) return i;
    }
    for (let j = i + 2; j < end; j++) {
      const c = bytes[j]!;
      if (c < 0x80 || c > 0xbf) return i;
    }
    i = end;
  }
  return bytes.length;
}
