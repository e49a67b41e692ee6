/**
 * Hot read queries compiled once and bound per call. Kysely rebuilds a query on every execute
 * (operation tree, the CamelCase transform, SQL text); on a list page that was a measurable share
 * of the request's CPU in the API benchmark. The builder still writes the query, so both dialects
 * keep one code path; only its compilation is reused.
 */
import type { Compilable, CompiledQuery, Kysely } from "kysely";
import type { Tables } from "./tables.ts";

/** Stands for the i-th argument while the query is compiled; replaced when it is bound. */
class Slot {
  readonly index: number;
  constructor(index: number) {
    this.index = index;
  }
}

const maxCached = 500;

export class CompiledQueries {
  readonly #db: Kysely<Tables>;
  readonly #cache = new Map<string, CompiledQuery>();

  constructor(db: Kysely<Tables>) {
    this.#db = db;
  }

  /**
   * Runs the query `build` writes with `args` bound to its slots. `key` names the query's shape:
   * one key must always build the same SQL text (same clauses, same number of slots).
   */
  async rows<A extends readonly unknown[], R>(
    key: string,
    args: readonly [...A],
    // The slots are typed as the arguments they stand for, so the builder type-checks as usual.
    build: (db: Kysely<Tables>, slots: A) => Compilable<R>,
  ): Promise<R[]> {
    let compiled = this.#cache.get(key);
    if (compiled === undefined) {
      const slots = args.map((_, i) => new Slot(i)) as unknown as A;
      compiled = build(this.#db, slots).compile();
      if (this.#cache.size >= maxCached) this.#cache.clear();
      this.#cache.set(key, compiled);
    }
    const parameters = compiled.parameters.map((p) => (p instanceof Slot ? args[p.index] : p));
    const { rows } = await this.#db.executeQuery<R>({ ...compiled, parameters } as CompiledQuery<R>);
    return rows;
  }
}
