/**
 * The history and DORA part of the HTTP contract: `GET /apps/:app/history` and `GET /dora`, their
 * queries and answers, shared by the server and the CLI's client.
 */
import { z } from "zod";
import { historyItemSchema } from "../delivery/history.ts";
import { pageQuerySchema } from "./requests.ts";
import { appNameSchema, nameSchema } from "./values.ts";

export const historyPageSchema = z.object({
  items: z.array(historyItemSchema),
  nextCursor: z.string().nullable(),
});

/** A window such as `30d`, `12w` or `72h`, at most ten years: history is kept that long and more. */
export const windowSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,5}(h|d|w)$/, { message: "must be a window such as 30d, 12w or 72h" })
  .refine((w) => windowSeconds(w) <= 3660 * 86_400, { message: "must be at most 3660d" });

export function windowSeconds(window: string): number {
  const amount = Number(window.slice(0, -1));
  const unit = window.slice(-1) as "h" | "d" | "w";
  return amount * { h: 3600, d: 86_400, w: 7 * 86_400 }[unit];
}

export const historyQuery = pageQuerySchema;

export const doraQuery = z.strictObject({
  team: nameSchema.optional(),
  app: appNameSchema.optional(),
  window: windowSchema.default("30d"),
  /** The window's end (default: now); any ISO-8601 offset. */
  until: z.iso.datetime({ offset: true }).optional(),
});

const time = z.iso.datetime({ offset: true });
const ref = z.object({
  deploymentId: z.string(),
  appName: z.string(),
  releaseId: z.string(),
  commitSha: z.string(),
});
const failureRef = ref.extend({ failedAt: time, reason: z.string() });
const seconds = z.number().nullable();

export const doraReportSchema = z.object({
  window: z.object({ from: time, to: time, days: z.number() }),
  productionChannel: z.string(),
  deploymentFrequency: z.object({
    count: z.number().int(),
    perDay: z.number(),
    perWeek: z.number(),
    bucket: z.enum(["elite", "high", "medium", "low"]),
    deployments: z.array(ref),
  }),
  leadTime: z.object({
    count: z.number().int(),
    medianSeconds: seconds,
    p90Seconds: seconds,
    changes: z.array(ref.extend({ commitTime: time, availableAt: time, seconds: z.number() })),
    withoutCommitTime: z.array(ref),
  }),
  changeFailureRate: z.object({
    failed: z.number().int(),
    total: z.number().int(),
    rate: z.number().nullable(),
    failures: z.array(failureRef),
    deployments: z.array(ref),
  }),
  recoveryTime: z.object({
    count: z.number().int(),
    medianSeconds: seconds,
    recoveries: z.array(
      failureRef.extend({ recoveredBy: z.string(), recoveredAt: time, seconds: z.number() }),
    ),
    unrecovered: z.array(failureRef),
  }),
  reworkRate: z.object({
    count: z.number().int(),
    total: z.number().int(),
    rate: z.number().nullable(),
    deployments: z.array(ref.extend({ kind: z.enum(["rollback", "fix-forward"]), after: z.string() })),
  }),
});

export const doraResponseSchema = z.object({
  team: z.string().nullable(),
  app: z.string().nullable(),
  /** What counted, from the platform file: production channel, failure statuses, fix-forward time. */
  settings: z.object({
    productionChannel: z.string(),
    failureStatuses: z.array(z.string()),
    rollbacksAreFailures: z.boolean(),
    fixForwardWithinSeconds: z.number(),
  }),
  /** The team's (or the app's) numbers: all its production deployments pooled. */
  total: doraReportSchema,
  /** Each app's own numbers, by name; every app of the team, also those without deployments. */
  apps: z.array(z.object({ app: z.string(), report: doraReportSchema })),
});
export type DoraResponse = z.infer<typeof doraResponseSchema>;
