/**
 * An app's history as data: every release and every deployment, newest first, each deployment
 * with its release's commit, its times, who started it and what it replaced. Kept for as long as
 * the store exists (nothing prunes it), so "what ran in stable last March" has an answer.
 */
import { z } from "zod";

const time = z.iso.datetime({ offset: true });

export const historyReleaseSchema = z.object({
  kind: z.literal("release"),
  /** When the release was recorded: the item's place in the history. */
  at: time,
  releaseId: z.string(),
  commitSha: z.string(),
  commitTime: time.nullable(),
  commitAuthor: z.string().nullable(),
  /** How many commits it brought (since the app's release before it); null: not recorded. */
  commitCount: z.number().int().nonnegative().nullable(),
  imageDigest: z.string(),
  createdBy: z.string(),
});

export const historyDeploymentSchema = z.object({
  kind: z.literal("deployment"),
  /** When the deployment started: the item's place in the history. */
  at: time,
  deploymentId: z.string(),
  targetName: z.string(),
  sequence: z.number().int().positive(),
  /** Any status the store records, including ones this version does not know. */
  status: z.string(),
  releaseId: z.string(),
  commitSha: z.string(),
  commitTime: time.nullable(),
  imageDigest: z.string(),
  releaseCreatedAt: time,
  createdBy: z.string(),
  startedAt: time,
  availableAt: time.nullable(),
  /** The first time it became failed or rolled-back. */
  failedAt: time.nullable(),
  /** The deployment that was available in the same channel before this one: what it replaced. */
  replaces: z
    .object({ deploymentId: z.string(), sequence: z.number().int().positive(), releaseId: z.string() })
    .nullable(),
});

export const historyItemSchema = z.discriminatedUnion("kind", [
  historyReleaseSchema,
  historyDeploymentSchema,
]);
export type HistoryItem = z.infer<typeof historyItemSchema>;
export type HistoryRelease = z.infer<typeof historyReleaseSchema>;
export type HistoryDeployment = z.infer<typeof historyDeploymentSchema>;

/** Statuses whose first occurrence is a deployment's `failedAt`. */
export const failedStatuses: readonly string[] = ["failed", "rolled-back"];

/** Newest first; the id breaks ties so the order is total and pages never overlap. */
export function newestFirst(a: HistoryItem, b: HistoryItem): number {
  if (a.at !== b.at) return a.at < b.at ? 1 : -1;
  const ia = idOf(a);
  const ib = idOf(b);
  return ia === ib ? 0 : ia < ib ? 1 : -1;
}

export function idOf(item: HistoryItem): string {
  return item.kind === "release" ? item.releaseId : item.deploymentId;
}
