/**
 * The server's platform: the one platform file (`serve --platform`, else $SLIPWAY_PLATFORM, else
 * the built-in default) is the only source of channels and clusters. The targets table follows
 * it: every channel of the file is a target, added at start and on each reload.
 *
 * Reloading (SIGHUP, or the file changing on disk) never makes things worse: a file that fails
 * validation keeps the server on the last good platform, logs every problem with its position,
 * and marks the platform stale (`/readyz` says so) until a good file is read.
 */
import { ErrorCode, formatProblem, isSlipwayError } from "../core/errors.ts";
import type { PlatformWithRules } from "../source/platform-files.ts";
import { everyItem } from "../store/paging.ts";
import { type Actor, type Store, systemActor } from "../store/store.ts";

export interface PlatformStatus {
  /** The file as given, or undefined for the built-in default platform. */
  readonly file: string | undefined;
  /** When the platform in use was read. */
  readonly loadedAt: string;
  /** True when the last read failed and the server still runs on the platform read before. */
  readonly stale: boolean;
  /** Why the last read failed (file, line, column and problem), when it did. */
  readonly error?: string;
}

const platformActor: Actor = { ...systemActor, subject: "platform-file" };

export class PlatformState {
  readonly #load: () => PlatformWithRules;
  readonly #store: Store;
  readonly #log: (line: string) => void;
  readonly #file: string | undefined;
  #current: PlatformWithRules;
  #status: PlatformStatus;
  /** Reloads run one at a time, in order: two signals in a row never interleave their syncs. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    options: {
      load: () => PlatformWithRules;
      store: Store;
      log: (line: string) => void;
      file: string | undefined;
    },
    first: PlatformWithRules,
    now: Date,
  ) {
    this.#load = options.load;
    this.#store = options.store;
    this.#log = options.log;
    this.#file = options.file;
    this.#current = first;
    this.#status = { file: options.file, loadedAt: now.toISOString(), stale: false };
  }

  /**
   * Reads the platform and brings the targets table in line. At start there is no last good
   * platform to fall back on, so an invalid file stops the server (the error names every problem).
   */
  static async open(options: {
    load: () => PlatformWithRules;
    store: Store;
    log: (line: string) => void;
    file: string | undefined;
  }): Promise<PlatformState> {
    const state = new PlatformState(options, options.load(), new Date());
    await state.#sync();
    return state;
  }

  /** The platform and custom rules in use: the last one that validated. */
  current(): PlatformWithRules {
    return this.#current;
  }

  status(): PlatformStatus {
    return this.#status;
  }

  /** Reads the file again; on failure keeps the last good platform and says why. */
  reload(): Promise<PlatformStatus> {
    const next = this.#queue.then(() => this.#reload());
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #reload(): Promise<PlatformStatus> {
    const where = this.#file ?? "the built-in default platform";
    let loaded: PlatformWithRules;
    try {
      loaded = this.#load();
    } catch (error) {
      if (!isSlipwayError(error)) throw error;
      const problems = error.problems.map((problem) => `\n  ${formatProblem(problem)}`).join("");
      this.#status = { ...this.#status, stale: true, error: `${error.message}${problems}` };
      this.#log(
        `platform: ${where} was not reloaded, the server keeps the platform read at ${this.#status.loadedAt}: ${this.#status.error}`,
      );
      return this.#status;
    }
    this.#current = loaded;
    this.#status = { file: this.#file, loadedAt: new Date().toISOString(), stale: false };
    await this.#sync();
    this.#log(`platform: reloaded ${where}`);
    return this.#status;
  }

  /** Every channel of the platform becomes a target; targets the file no longer names are reported. */
  async #sync(): Promise<void> {
    const channels = this.#current.platform.platform.channels.map((c) => c.name);
    for (const name of channels) {
      try {
        await this.#store.createTarget(platformActor, { name, kind: "channel" });
      } catch (error) {
        if (!isSlipwayError(error) || error.code !== ErrorCode.Conflict) throw error;
      }
    }
    // Deployment history refers to targets, so a channel removed from the file stays in the table.
    const known = new Set(channels);
    const orphans: string[] = [];
    for await (const t of everyItem((page) => this.#store.listTargets(page))) {
      if (t.kind === "channel" && !known.has(t.name)) orphans.push(t.name);
    }
    if (orphans.length > 0) {
      this.#log(
        `platform: channel(s) ${orphans.join(", ")} are in the targets table but not in the platform file; their history is kept, and nothing deploys there`,
      );
    }
  }
}
