/**
 * What every query module gets from the store: the Kysely handle, the clock, and how this dialect
 * reports a unique-constraint violation (the one driver error the store turns into a conflict).
 */
import type { Kysely } from "kysely";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { CompiledQueries } from "./compiled.ts";
import type { Dialect } from "./migrations.ts";
import type { Tables } from "./tables.ts";

export interface StoreContext {
  readonly db: Kysely<Tables>;
  /** The hot read paths' queries, compiled once (see `compiled.ts`). */
  readonly compiled: CompiledQueries;
  /** For the few statements only one database has (row locks: `for update skip locked`). */
  readonly dialect: Dialect;
  now(): string;
  isUniqueViolation(error: unknown): boolean;
}

export function notFound(what: string, name: string): SlipwayError {
  return new SlipwayError(ErrorCode.NotFound, `${what} "${name}" does not exist`, {
    details: { [what]: name },
  });
}

/** Runs `work`, turning a unique violation into a conflict that says what already exists. */
export async function uniquely<T>(
  ctx: StoreContext,
  what: string,
  name: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (ctx.isUniqueViolation(error)) {
      throw new SlipwayError(ErrorCode.Conflict, `${what} "${name}" already exists`, {
        details: { [what]: name },
        cause: error,
      });
    }
    throw error;
  }
}
