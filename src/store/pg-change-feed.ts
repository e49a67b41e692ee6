/**
 * Tells a PostgreSQL store when the database changed, whoever changed it (this process, another
 * replica, someone with psql): every table has a statement trigger that sends `pg_notify` on the
 * `slipway_changes` channel (migration 4), PostgreSQL delivers it to every listener when the
 * writing transaction commits, and this feed keeps one connection listening and counts them.
 *
 * The version it hands out is only trustworthy while that connection is up: before it has
 * subscribed, and from the moment it drops until it has subscribed again, `version()` is
 * undefined and callers must not serve anything from a cache. Each new subscription starts a new
 * epoch, so whatever was cached before a gap is never served after it. A connection can also die
 * without a word (a network cut): a heartbeat query every second must come back, and a version
 * not confirmed by one within `staleAfterMs` is undefined too — the bound on how stale a cached
 * answer can be when everything else fails.
 */
import pg from "pg";
import { changeChannel } from "./migrations.ts";

export interface ChangeFeedOptions {
  /** Only changes to this schema count (tests share one database, a schema each). */
  readonly schema: string;
  /** First delay before reconnecting after the connection dropped; doubles up to 5 s. */
  readonly retryMs?: number;
  /** How long a subscription counts as live without a heartbeat coming back (default 2.5 s). */
  readonly staleAfterMs?: number;
}

const heartbeatMs = 1_000;

export class PgChangeFeed {
  readonly #url: string;
  readonly #options: ChangeFeedOptions;
  #client: pg.Client | undefined;
  #epoch = 0;
  #changes = 0;
  #live = false;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #confirmedAt = 0;

  private constructor(url: string, options: ChangeFeedOptions) {
    this.#url = url;
    this.#options = options;
  }

  /**
   * Resolves once subscribed, so a fresh server caches from its first request. A database that
   * refuses LISTEN (a pooler in transaction mode) is not an error: the store then reads through,
   * uncached, while the feed keeps trying.
   */
  static async start(url: string, options: ChangeFeedOptions): Promise<PgChangeFeed> {
    const feed = new PgChangeFeed(url, options);
    await feed.#subscribe().catch(() => feed.#reconnectLater(options.retryMs ?? 100));
    return feed;
  }

  /** Undefined while not subscribed: the database may be changing unseen. */
  version(): string | undefined {
    if (!this.#live || performance.now() - this.#confirmedAt > (this.#options.staleAfterMs ?? 2_500)) {
      return undefined;
    }
    return `${this.#epoch}.${this.#changes}`;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#live = false;
    clearTimeout(this.#retry);
    clearInterval(this.#heartbeat);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }

  async #subscribe(): Promise<void> {
    // Named, so an operator looking at pg_stat_activity knows what the idle connection is.
    const client = new pg.Client({
      connectionString: this.#url,
      application_name: `slipway change feed (${this.#options.schema})`,
      // A heartbeat that never returns is a dead connection: fail it and reconnect.
      query_timeout: 5_000,
      keepAlive: true,
    });
    // Any failure of the subscribed connection: stop trusting the version, then reconnect. A
    // failure before it subscribed is the caller's to handle (one retry, not one per event).
    let subscribed = false;
    const lost = () => {
      if (!subscribed || this.#client !== client) return;
      this.#client = undefined;
      this.#live = false;
      clearInterval(this.#heartbeat);
      client.end().catch(() => {});
      this.#reconnectLater(this.#options.retryMs ?? 100);
    };
    client.on("error", lost);
    client.on("end", lost);
    client.on("notification", (message) => {
      if (message.channel === changeChannel && message.payload === this.#options.schema) this.#changes++;
    });
    this.#client = client;
    try {
      await client.connect();
      await client.query(`listen ${changeChannel}`);
    } catch (error) {
      this.#client = undefined;
      await client.end().catch(() => {});
      throw error;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    subscribed = true;
    this.#epoch++;
    this.#changes = 0;
    this.#confirmedAt = performance.now();
    this.#live = true;
    this.#heartbeat = setInterval(() => {
      const sent = performance.now();
      client.query("select 1").then(() => {
        // Notifications sent before the answer have been delivered before it: all seen.
        if (this.#client === client) this.#confirmedAt = sent;
      }, lost);
    }, heartbeatMs);
    this.#heartbeat.unref();
  }

  #reconnectLater(delayMs: number): void {
    if (this.#closed) return;
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      this.#subscribe().catch(() => this.#reconnectLater(Math.min(delayMs * 2, 5_000)));
    }, delayMs);
    this.#retry.unref();
  }
}
