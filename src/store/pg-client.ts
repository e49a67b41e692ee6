/**
 * A `pg` client that runs SELECTs as named prepared statements. PostgreSQL then parses and
 * analyses each query text once per connection instead of on every call; in the API benchmark
 * the database shares the machine with the server, so its per-query CPU is the server's latency.
 */
import pg from "pg";

/** Statement names by SQL text; shared by every connection (a name always means the same text). */
const names = new Map<string, string>();
// Kysely emits a bounded set of texts (one per query shape); the cap guards against a caller
// that builds unbounded variants (say `in` lists of every length) filling each connection.
const maxNamed = 1000;

function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined) {
    if (names.size >= maxNamed || !/^select\s/i.test(text)) return undefined;
    name = `slipway_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

export class PreparingClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    // PostgreSQL shutting down (or a cut connection) tells every connection, including one the
    // pool has lent out between two queries, where pg-pool listens no more: an 'error' event
    // without a listener is an uncaught exception, and it took the whole server down. The
    // failure still reaches the caller: the next query on this client fails (answered 503), and
    // the pool drops a client that is no longer queryable when it comes back.
    this.on("error", () => {});
  }

  // pg's overloads cannot be re-declared one by one; the override forwards every call shape.
  override query(...args: unknown[]): never {
    const [text, values] = args;
    if (typeof text === "string" && Array.isArray(values) && args.length === 2) {
      const name = statementName(text);
      if (name !== undefined) return super.query({ name, text, values } as never) as never;
    }
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}

/**
 * Connection-level failures of PostgreSQL: it is down, restarting, shutting down or unreachable
 * (a socket error, or SQLSTATE class 08 connection exception, 57P01–57P03 shutdown or startup,
 * 53300 too many connections). A request meeting one is answered 503: nothing about the request
 * was wrong, and the pool connects again by itself once the database is back.
 */
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

export function databaseUnavailable(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = String((error as { code?: unknown }).code ?? "");
  if (UNAVAILABLE_CODES.has(code) || code.startsWith("08")) return `${error.message} (${code})`;
  // pg's own words for a connection that ended under a query or could not be made in time.
  if (
    /^Connection terminated|^connection timeout|timeout exceeded when trying to connect/i.test(error.message)
  ) {
    return error.message;
  }
  return undefined;
}
