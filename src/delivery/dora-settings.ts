/**
 * What the DORA numbers count, decided by the platform file's `dora:` block and nothing else:
 * which channel is production, which of Slipway's own deployment statuses make a deployment a
 * failed change, whether a rollback marks what it replaced as failed, and how soon after a failure
 * a new deployment counts as a fix-forward. Pure.
 */
import { durationSeconds } from "../spec/common-schema.ts";
import type { Platform } from "../spec/platform-schema.ts";

/** The statuses that make a production deployment a failed change unless the platform says otherwise. */
export const defaultFailureStatuses: readonly string[] = ["failed", "rolled-back"];
/** A deployment started this long after a failure (and not a rollback) is that failure's fix-forward. */
export const defaultFixForwardWithin = "24h";

export interface DoraSettings {
  readonly productionChannel: string;
  readonly failureStatuses: readonly string[];
  readonly rollbacksAreFailures: boolean;
  readonly fixForwardWithinSeconds: number;
}

/** The settings in force: the platform's `dora:` block over the defaults; production is the last channel unless named. */
export function doraSettings(platform: Pick<Platform, "channels" | "dora">): DoraSettings {
  const config = platform.dora;
  const productionChannel =
    config?.productionChannel ?? platform.channels[platform.channels.length - 1]?.name;
  // The platform schema requires at least one channel; a platform without is a programming error.
  if (productionChannel === undefined) throw new Error("a platform has at least one channel");
  return {
    productionChannel,
    failureStatuses: config?.failure?.statuses ?? defaultFailureStatuses,
    rollbacksAreFailures: config?.failure?.rollbacks ?? true,
    fixForwardWithinSeconds: durationSeconds(config?.rework?.fixForwardWithin ?? defaultFixForwardWithin),
  };
}
