/**
 * Keyset pagination shared by every list: fetch one row more than asked to learn whether a next
 * page exists, and hand out the last row's sort key as an opaque cursor. A cursor names the list
 * it came from: the sort keys of two lists are different things (a name, an id), and a cursor
 * passed to the wrong list would otherwise page from a meaningless point, often to an empty page.
 */
import { z } from "zod";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { Page, PageRequest } from "./records.ts";

export type PagedList =
  | "teams"
  | "tokens"
  | "apps"
  | "targets"
  | "releases"
  | "deployments"
  | "audit"
  | "history";

const cursorSchema = z.object({ l: z.string(), k: z.string() });

export function encodeCursor(list: PagedList, key: string): string {
  return Buffer.from(JSON.stringify({ l: list, k: key }), "utf8").toString("base64url");
}

function invalid(message: string, cause?: unknown): SlipwayError {
  return new SlipwayError(ErrorCode.Input, `query parameter cursor ${message}`, {
    details: { field: "cursor" },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The sort key a cursor carries; a cursor that is not one of this list's is the caller's input error. */
export function decodeCursor(list: PagedList, cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch (error) {
    throw invalid("is not valid: pass back the nextCursor of a previous page", error);
  }
  const result = cursorSchema.safeParse(parsed);
  if (!result.success) throw invalid("is not valid: pass back the nextCursor of a previous page");
  if (result.data.l !== list) {
    throw invalid(
      `comes from another list (${result.data.l.slice(0, 20)}), not ${list}: pass back the nextCursor of a previous page of this list`,
    );
  }
  return result.data.k;
}

export function toPage<T>(
  list: PagedList,
  rows: readonly T[],
  limit: number,
  keyOf: (row: T) => string,
): Page<T> {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: last === undefined ? null : encodeCursor(list, keyOf(last)) };
}

/** Every item of a list, page after page: for the server's own passes over a whole list. */
export async function* everyItem<T>(
  list: (page: PageRequest) => Promise<Page<T>>,
  limit = 200,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await list({ limit, cursor });
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}
