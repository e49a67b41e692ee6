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
