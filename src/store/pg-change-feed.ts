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
 * without a word (a network cut): a heartbeat every second must come back, and a version not
 * confirmed by one within `staleAfterMs` is undefined too — the bound on how stale a cached answer
 * can be when everything else fails.
 *
 * The heartbeat is itself a notification (`pg_notify` on the listening connection) and counts only
 * when it arrives: a connection that answers queries but never delivers notifications — LISTEN
 * through a pooler in transaction mode, where the statement lands on whichever server connection
 * is free — would otherwise look live while the cache went stale. Notifications arrive in commit
 * order, so every change committed before the heartbeat was seen before it.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { type ChangeScope, changeScopes, scopeChangePayload } from "./change-scopes.ts";
import { changeChannel } from "./migrations.ts";

export interface ChangeFeedOptions {
  /** Only changes to this schema count (tests share one database, a schema each). */
  readonly schema: string;
  /** First delay before reconnecting after the connection dropped; doubles up to 5 s. */
  readonly retryMs?: number;
  /** How long a subscription counts as live without a heartbeat coming back (default 2.5 s). */
  readonly staleAfterMs?: number;
  /** Told when the read cache turns off (no change notices) and on again. */
  readonly log?: (line: string) => void;
}

const heartbeatMs = 1_000;

export class PgChangeFeed {
  readonly #url: string;
  readonly #options: ChangeFeedOptions;
  /** The payloads of each scope's changes in this schema. */
  readonly #scopePayloads: ReadonlyMap<string, ChangeScope>;
  #client: pg.Client | undefined;
  #epoch = 0;
  #changes = 0;
  readonly #scopeChanges = new Map<ChangeScope, number>();
  #live = false;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #confirmedAt = 0;
  /** This feed's heartbeats, told apart from other replicas' on the shared channel. */
  readonly #beat = `heartbeat:${randomBytes(6).toString("hex")}:`;
  readonly #sent = new Map<string, number>();
  #reported: "on" | "off" | undefined;
  #onConfirm: (() => void) | undefined;
  #liveSince = 0;

  private constructor(url: string, options: ChangeFeedOptions) {
    this.#url = url;
    this.#options = options;
    this.#scopePayloads = new Map(
      (Object.keys(changeScopes) as ChangeScope[]).map((scope) => [
        scopeChangePayload(scope, options.schema),
        scope,
      ]),
    );
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
    return this.#trusted() ? `${this.#epoch}.${this.#changes}` : undefined;
  }

  /** Like `version`, but moves only with changes to the scope's tables (`change-scopes.ts`). */
  scopeVersion(scope: ChangeScope): string | undefined {
    return this.#trusted() ? `${this.#epoch}.${this.#scopeChanges.get(scope) ?? 0}` : undefined;
  }

  #trusted(): boolean {
    const staleAfter = this.#options.staleAfterMs ?? 2_500;
    const now = performance.now();
    if (!this.#live || now - this.#confirmedAt > staleAfter) {
      // A subscription a moment old has had no time to prove itself yet: not news.
      if (!this.#live || now - this.#liveSince > staleAfter)
        this.#report("off", "change notices are not arriving");
      return false;
    }
    return true;
  }

  /** Says once per change of state whether the read cache can be trusted. */
  #report(state: "on" | "off", why: string): void {
    if (this.#reported === state || this.#closed) return;
    // The very first state is only news when it is bad.
    if (this.#reported === undefined && state === "on") {
      this.#reported = state;
      return;
    }
    this.#reported = state;
    this.#options.log?.(
      state === "off"
        ? `read cache off: ${why}, so every read goes to the database until they do (through a pooler in transaction mode they never do: connect the server to PostgreSQL directly or in session mode)`
        : "read cache on again: change notices arrive",
    );
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
      if (message.channel !== changeChannel) return;
      if (message.payload === this.#options.schema) this.#changes++;
      const scope = message.payload === undefined ? undefined : this.#scopePayloads.get(message.payload);
      if (scope !== undefined) this.#scopeChanges.set(scope, (this.#scopeChanges.get(scope) ?? 0) + 1);
      const sentAt = message.payload === undefined ? undefined : this.#sent.get(message.payload);
      if (sentAt !== undefined && this.#client === client) {
        this.#sent.delete(message.payload as string);
        this.#confirmedAt = Math.max(this.#confirmedAt, sentAt);
        this.#report("on", "");
        this.#onConfirm?.();
        this.#onConfirm = undefined;
      }
    });
    this.#client = client;
    try {
      await client.connect();
      await client.query(`listen ${changeChannel}`);
    } catch (error) {
      this.#client = undefined;
      await client.end().catch(() => {});
      this.#report(
        "off",
        `cannot LISTEN for change notices (${error instanceof Error ? error.message : String(error)})`,
      );
      throw error;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    subscribed = true;
    this.#epoch++;
    this.#changes = 0;
    this.#scopeChanges.clear();
    // Live, but trusted only once a heartbeat has come back through it.
    this.#confirmedAt = Number.NEGATIVE_INFINITY;
    this.#liveSince = performance.now();
    this.#live = true;
    const beat = () => {
      const token = `${this.#beat}${performance.now()}`;
      this.#sent.set(token, performance.now());
      // Unanswered ones are forgotten: only the newest few can still confirm anything.
      if (this.#sent.size > 10) this.#sent.delete(this.#sent.keys().next().value as string);
      client.query("select pg_notify($1, $2)", [changeChannel, token]).catch(lost);
    };
    const confirmed = new Promise<void>((resolve) => {
      this.#onConfirm = resolve;
      setTimeout(resolve, heartbeatMs).unref();
    });
    beat();
    this.#heartbeat = setInterval(beat, heartbeatMs);
    this.#heartbeat.unref();
    // A fresh server caches from its first request when notices flow; it does not wait longer.
    await confirmed;
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
