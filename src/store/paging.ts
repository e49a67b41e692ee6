/**
 * Keyset pagination shared by every list: fetch one row more than asked to learn whether a next
 * page exists, and hand out the last row's sort key as an opaque cursor.
 */
import { z } from "zod";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { Page } from "./records.ts";

const cursorSchema = z.object({ k: z.string() });

export function encodeCursor(key: string): string {
  return Buffer.from(JSON.stringify({ k: key }), "utf8").toString("base64url");
}

/** The sort key a cursor carries; a cursor that is not one of ours is the caller's input error. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch (error) {
    throw new SlipwayError(
      ErrorCode.Input,
      "cursor is not valid: pass back the nextCursor of a previous page",
      {
        cause: error,
      },
    );
  }
  const result = cursorSchema.safeParse(parsed);
  if (!result.success) {
    throw new SlipwayError(
      ErrorCode.Input,
      "cursor is not valid: pass back the nextCursor of a previous page",
    );
  }
  return result.data.k;
}

export function toPage<T>(rows: readonly T[], limit: number, keyOf: (row: T) => string): Page<T> {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: last === undefined ? null : encodeCursor(keyOf(last)) };
}
