/** CronJobs (`cronJobs:`): the app's image on a schedule, with its env, config files and secrets. */
import type { KubeObject } from "../core/kube-object.ts";
import { batchContext, batchPodTemplate } from "./batch.ts";
import { metadata, type RenderContext } from "./context.ts";
import { networkPolicy } from "./network.ts";
import { inPart, partObjectName } from "./parts.ts";

/** The CronJob controller appends 11 characters to name each Job: names stay within 52. */
const CRONJOB_NAME_MAX = 52;

export function cronJobObjects(ctx: RenderContext, checksum: string): KubeObject[] {
  return Object.entries(ctx.spec.cronJobs ?? {}).flatMap(([name, c]) =>
    inPart(`cronJobs.${name}`, () => {
      const cctx = batchContext(ctx, name, c, partObjectName(ctx.spec.name, name, CRONJOB_NAME_MAX));
      const cronJob: KubeObject = {
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: metadata(cctx, cctx.names.app, ctx.spec.annotations),
        spec: {
          schedule: c.schedule,
          ...(c.timeZone ? { timeZone: c.timeZone } : {}),
          // Two runs of one job at once is rarely what a schedule means: overlap is opt-in.
          concurrencyPolicy: c.concurrencyPolicy ?? "Forbid",
          ...(c.suspend !== undefined ? { suspend: c.suspend } : {}),
          ...(c.startingDeadlineSeconds !== undefined
            ? { startingDeadlineSeconds: c.startingDeadlineSeconds }
            : {}),
          successfulJobsHistoryLimit: c.history?.successful ?? 3,
          failedJobsHistoryLimit: c.history?.failed ?? 1,
          jobTemplate: {
            metadata: { labels: { ...cctx.labels.common } },
            spec: {
              backoffLimit: c.retries ?? 2,
              ...(c.timeoutSeconds !== undefined ? { activeDeadlineSeconds: c.timeoutSeconds } : {}),
              template: batchPodTemplate(cctx, checksum),
            },
          },
        },
      };
      return [cronJob, networkPolicy(cctx)].filter((o): o is KubeObject => o !== undefined);
    }),
  );
}
