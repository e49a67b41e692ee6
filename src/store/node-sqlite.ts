/**
 * Kysely on Node's built-in `node:sqlite`. Kysely's `SqliteDialect` expects a better-sqlite3 shaped
 * database (`prepare(sql)` returning a statement with `reader`, `all`, `run`, `iterate` taking an
 * array); this adapter gives `DatabaseSync` that shape, so no native addon is needed.
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { Worker } from "node:worker_threads";
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type SqliteDatabase,
  SqliteDialect,
  SqliteDriver,
  type SqliteStatement,
} from "kysely";

function toSqlite(value: unknown): SQLInputValue {
  // node:sqlite binds only null, numbers, bigints, strings and bytes.
  if (value === undefined) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  return value as SQLInputValue;
}

class NodeSqliteStatement implements SqliteStatement {
  readonly #statement: StatementSync;
  readonly #columns: readonly string[];
  readonly reader: boolean;

  constructor(statement: StatementSync) {
    this.#statement = statement;
    this.#columns = statement.columns().map((c) => c.name);
    // A statement that yields columns is a reader (SELECT, or anything with RETURNING).
    this.reader = this.#columns.length > 0;
    // Rows come back as arrays and become objects here: node:sqlite building each row object
    // natively cost twice the CPU of the whole query on a 50-row page (API benchmark).
    if (this.reader) statement.setReturnArrays(true);
  }

  #toObject(values: readonly unknown[]): Record<string, unknown> {
    const row: Record<string, unknown> = {};
    const columns = this.#columns;
    for (let i = 0; i < columns.length; i++) row[columns[i] as string] = values[i];
    return row;
  }

  all(parameters: readonly unknown[]): unknown[] {
    const rows = this.#statement.all(...parameters.map(toSqlite)) as unknown as unknown[][];
    const objects = new Array<Record<string, unknown>>(rows.length);
    for (let i = 0; i < rows.length; i++) objects[i] = this.#toObject(rows[i] as unknown[]);
    return objects;
  }

  run(parameters: readonly unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint } {
    return this.#statement.run(...parameters.map(toSqlite));
  }

  *iterate(parameters: readonly unknown[]): IterableIterator<unknown> {
    for (const values of this.#statement.iterate(...parameters.map(toSqlite))) {
      yield this.#toObject(values as unknown as unknown[]);
    }
  }
}

/** Prepared statements are cached per SQL text: Kysely compiles the same text for each call shape. */
export class NodeSqliteDatabase implements SqliteDatabase {
  readonly #db: DatabaseSync;
  readonly #cache = new Map<string, NodeSqliteStatement>();
  readonly #dataVersion: StatementSync;
  readonly #ownChanges: StatementSync;
  #seenDataVersion = 0;
  #seenAt = Number.NEGATIVE_INFINITY;

  readonly #checkpoints: Checkpointer | undefined;

  constructor(file: string) {
    this.#db = new DatabaseSync(file);
    this.#db.exec("pragma journal_mode = wal");
    this.#db.exec("pragma synchronous = normal");
    if (file !== ":memory:") {
      // The write that fills the WAL would otherwise checkpoint it, fsync included, in this thread.
      this.#db.exec("pragma wal_autocheckpoint = 0");
      this.#checkpoints = new Checkpointer(file, () => {
        if (this.#db.isOpen) this.#db.exec("pragma wal_autocheckpoint = 1000");
      });
    }
    this.#db.exec("pragma foreign_keys = on");
    // Another process holding the write lock (a CLI next to a server) is waited for, not failed.
    this.#db.exec("pragma busy_timeout = 5000");
    this.#dataVersion = this.#db.prepare("pragma data_version");
    this.#dataVersion.setReturnArrays(true);
    this.#ownChanges = this.#db.prepare("select total_changes()");
    this.#ownChanges.setReturnArrays(true);
  }

  /**
   * Differs whenever the file's committed contents may have changed: `total_changes()` moves when
   * this connection writes (exact, and a fraction of a microsecond), `data_version` when another
   * connection — another process: a second server, a CLI — commits. The latter reads the WAL's
   * shared index (~10 µs under load), so it is asked at most once a millisecond: another process's
   * commit is seen within 1 ms, this process's at once.
   */
  changeVersion(): string {
    const [ownChanges] = this.#ownChanges.get() as unknown as [number];
    return `${this.othersVersion()}.${ownChanges}`;
  }

  /** Moves when another connection commits (not this one): `data_version`, asked at most once a millisecond. */
  othersVersion(): number {
    const now = performance.now();
    if (now - this.#seenAt >= 1) {
      this.#seenDataVersion = (this.#dataVersion.get() as unknown as [number])[0];
      this.#seenAt = now;
    }
    return this.#seenDataVersion;
  }

  prepare(sql: string): SqliteStatement {
    let statement = this.#cache.get(sql);
    if (statement === undefined) {
      statement = new NodeSqliteStatement(this.#db.prepare(sql));
      if (this.#cache.size > 500) this.#cache.clear();
      this.#cache.set(sql, statement);
    }
    return statement;
  }

  close(): void {
    this.#cache.clear();
    this.#db.close();
  }

  /** Ends the checkpoint thread (after `close`: the last connection to close checkpoints what is left). */
  async stopCheckpoints(): Promise<void> {
    await this.#checkpoints?.stop();
  }
}

/** How often the checkpoint thread copies the WAL's committed pages into the database file. */
const checkpointEveryMs = 500;

/**
 * Checkpoints the WAL in a thread of its own. SQLite checkpoints from whichever commit pushes the
 * WAL past 1000 pages, synchronously, fsync included: with node:sqlite that commit is on the event
 * loop, and on a busy disk it stalled every request in flight (up to 100 ms in the API benchmark).
 * A passive checkpoint waits for no reader or writer, so nothing here ever waits on this thread.
 * Should the thread die, the connection checkpoints by itself again (`fallBack`).
 */
class Checkpointer {
  readonly #worker: Worker;
  /** Settles when the thread has ended, whenever that was: `stop` after a death must not wait for another. */
  readonly #exited: Promise<void>;
  #stopping = false;

  constructor(file: string, fallBack: () => void) {
    this.#worker = new Worker(
      `const { workerData, parentPort } = require("node:worker_threads");
      const { DatabaseSync } = require("node:sqlite");
      const db = new DatabaseSync(workerData.file);
      db.exec("pragma busy_timeout = 5000");
      const timer = setInterval(() => {
        try {
          db.exec("pragma wal_checkpoint(passive)");
        } catch (error) {
          // Busy or locked past the timeout (another process checkpointing): the next round
          // catches up. Anything else (the file gone or unreadable) ends the thread, so that the
          // connection checkpoints by itself again instead of the WAL growing unseen.
          if (error?.errcode !== 5 && error?.errcode !== 6) {
            clearInterval(timer);
            throw error;
          }
        }
      }, workerData.everyMs);
      parentPort.once("message", () => {
        clearInterval(timer);
        db.close();
        parentPort.close();
      });`,
      { eval: true, workerData: { file, everyMs: checkpointEveryMs } },
    );
    // Not a reason to keep the process alive; `stop` ends it properly.
    this.#worker.unref();
    this.#exited = new Promise((resolve) =>
      this.#worker.once("exit", () => {
        if (!this.#stopping) fallBack();
        resolve();
      }),
    );
    this.#worker.on("error", () => {});
  }

  async stop(): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true;
      // Waited for, so the process stays up until the thread has closed its connection.
      this.#worker.ref();
      this.#worker.postMessage("stop");
    }
    await this.#exited;
  }
}

/**
 * Transactions start with BEGIN IMMEDIATE: a deferred transaction that reads and then writes can
 * fail with SQLITE_BUSY when another connection wrote in between; taking the write lock up front
 * makes a second writer wait (busy_timeout) instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

export class NodeSqliteDialect extends SqliteDialect {
  readonly #database: NodeSqliteDatabase;

  constructor(database: NodeSqliteDatabase) {
    super({ database });
    this.#database = database;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: this.#database });
  }
}
