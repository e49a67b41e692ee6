/**
 * What `GET /api/v1/events` sends: one `status` event per deployment status change, its SSE id
 * the event's number in the server's sequence (send it back as Last-Event-ID to resume).
 */
import { z } from "zod";
import { deploymentStatusSchema, nameSchema, timestampSchema } from "./values.ts";

export const statusEventSchema = z.object({
  seq: z.number().int().positive(),
  deploymentId: z.string(),
  appName: nameSchema,
  targetName: nameSchema,
  teamName: nameSchema,
  releaseId: z.string(),
  status: deploymentStatusSchema,
  message: z.string(),
  at: timestampSchema,
});
export type ApiStatusEvent = z.infer<typeof statusEventSchema>;

/** Statuses a deployment does not leave (`available` may still be replaced later, but it arrived). */
export const settledStatuses = ["available", "failed", "superseded", "rolled-back"] as const;
