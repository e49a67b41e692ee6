/**
 * Automatic promotion: a channel that says `promote: auto` takes the release of the channel before
 * as soon as its gates pass. Each replica runs one promoter beside its engine; they need no lock
 * between them, because the queued deployment is recorded exclusively (`promotion-queries.ts`):
 * of two replicas promoting the same release at once, one enqueues and the other is refused.
 *
 * Event-driven first: a deployment becoming available in a channel is a reason to look at the
 * channel after it at once (reading the store's event sequence). A slower full pass picks up what
 * passes with time alone (soak, windows, freezes ending, a line resumed, an approval).
 *
 * A release is promoted into a channel automatically at most once: after a failure or a rollback
 * there, people decide (a loop of failing promotions helps nobody).
 */
import { ErrorCode, isSlipwayError } from "../core/errors.ts";
import { allChannelSettings, channelSettings, channelState } from "../delivery/promotion.ts";
import {
  channelDeployments,
  evaluatePromotion,
  type GatePorts,
  type PromotionContext,
} from "../delivery/promotion-facts.ts";
import type { LoadedPlatform } from "../spec/parse.ts";
import { everyItem } from "../store/paging.ts";
import type { Actor, Store } from "../store/store.ts";

export interface PromoterOptions {
  readonly store: Store;
  /** The platform in use now (reloads take effect on the next pass). */
  readonly platform: () => LoadedPlatform;
  /**
   * The platform's custom rules and the channels' live view, as the promotion route has them, so
   * an automatic promotion passes exactly the gates a manual one would.
   */
  readonly gatePorts?: GatePorts | undefined;
  /** How often to read new events (default 500 ms). */
  readonly pollMs?: number;
  /** How often to look at every app's automatic channels (default 5 s; two reads per app and channel). */
  readonly sweepMs?: number;
  readonly log: (line: string) => void;
}

export const promoterActor: Actor = { userId: "system", subject: "promoter" };

export class Promoter {
  readonly #options: PromoterOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;
  #seq: number | undefined;
  #lastSweep = 0;

  constructor(options: PromoterOptions) {
    this.#options = options;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.tick()
        .then(
          () => {},
          (error: unknown) =>
            this.#options.log(`promoter: ${error instanceof Error ? error.message : String(error)}`),
        )
        .finally(() => {
          this.#running = undefined;
          this.#schedule(this.#options.pollMs ?? 500);
        });
    }, delay);
  }

  /** One pass (tests drive it): promotions started. */
  async tick(): Promise<number> {
    const { store } = this.#options;
    const settings = allChannelSettings(this.#options.platform().platform.channels);
    const auto = settings.filter((c) => c.promote === "auto" && c.previous !== undefined);
    if (this.#seq === undefined) this.#seq = await store.lastEventSeq();
    if (auto.length === 0) return 0;
    const wanted = new Set<string>();
    // Events are numbered once committed; without an event stream open, nobody else numbers them.
    await store.numberEvents();
    // What became available since the last pass: the channels after those may move now.
    for (;;) {
      const events = await store.listEvents({ after: this.#seq, limit: 500 });
      for (const e of events) {
        this.#seq = e.seq;
        if (e.status !== "available") continue;
        for (const c of auto) if (c.previous === e.targetName) wanted.add(`${e.appName}\n${c.name}`);
      }
      if (events.length < 500) break;
    }
    if (Date.now() - this.#lastSweep >= (this.#options.sweepMs ?? 5_000)) {
      this.#lastSweep = Date.now();
      for await (const app of everyItem((page) => store.listApps({}, page))) {
        for (const c of auto) wanted.add(`${app.name}\n${c.name}`);
      }
    }
    let started = 0;
    for (const key of wanted) {
      const [app, channel] = key.split("\n") as [string, string];
      if (await this.#promote(app, channel)) started++;
    }
    return started;
  }

  async #promote(app: string, to: string): Promise<boolean> {
    const { store, gatePorts } = this.#options;
    const platform = this.#options.platform();
    const ctx: PromotionContext = {
      records: store,
      channels: platform.platform.channels,
      platform: async () => platform,
      ...(gatePorts === undefined
        ? {}
        : { customRules: gatePorts.customRules(), liveHealth: gatePorts.liveHealth }),
      now: new Date(),
    };
    try {
      // Cheap checks first: most passes find nothing new, and the gates render the release.
      const from = channelSettings(ctx.channels, to).previous;
      if (from === undefined) return false;
      const [source, destination] = await Promise.all([
        channelDeployments(store, app, from),
        channelDeployments(store, app, to),
      ]);
      const live = channelState(source).live;
      if (live === undefined || channelState(destination).underWay !== undefined) return false;
      if (destination.some((d) => d.releaseId === live.releaseId)) return false;
      // The gates as recorded first: the live view can only hold a promotion back, so the cluster
      // is read only for a release every other gate lets through, not at every pass for each app
      // waiting on a soak, an approval or a window (about four requests each).
      const recorded = await evaluatePromotion({ ...ctx, liveHealth: undefined }, { app, to });
      const evaluation =
        recorded.report.state !== "pass" || ctx.liveHealth === undefined
          ? recorded
          : await evaluatePromotion(ctx, { app, to });
      const { candidate, release, report } = evaluation;
      if (candidate.underWay !== undefined || report.state !== "pass") return false;
      if (release.id !== live.releaseId) return false;
      const deployment = await store.enqueueDeployment(promoterActor, {
        releaseId: release.id,
        targetName: to,
        cause: { kind: "auto-promotion", fromTarget: candidate.from, exclusive: true },
      });
      this.#options.log(
        `promoter: ${app} release ${release.id} from ${candidate.from} to ${to}: ${deployment.id}`,
      );
      return true;
    } catch (error) {
      // Nothing to promote, a deployment under way, another replica first: not this pass's business.
      if (
        isSlipwayError(error) &&
        ([ErrorCode.Conflict, ErrorCode.NotFound, ErrorCode.Input] as string[]).includes(error.code)
      ) {
        return false;
      }
      throw error;
    }
  }
}
