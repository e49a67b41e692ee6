/**
 * The pod template of a run-to-completion part (a CronJob's or a deploy-time Job's): the app's pod
 * template (pod.ts) as a `restartPolicy: Never` pod — no probes, no preStop pause for draining
 * endpoints, no spreading — so that a failed attempt stays visible as a failed pod with its logs
 * instead of restarting in place.
 */
import type { AppSpec } from "../spec/app-schema.ts";
import type { RenderContext } from "./context.ts";
import { partContext } from "./parts.ts";
import { mainPart, podTemplate } from "./pod.ts";

type BatchFields = Pick<NonNullable<AppSpec["jobs"]>[string], "command" | "args" | "env" | "resources">;

/** A batch part's context: its own command, env and resources; no ports, probes or scale. */
export function batchContext(
  ctx: RenderContext,
  part: string,
  fields: BatchFields,
  objectName: string,
): RenderContext {
  return partContext(
    ctx,
    part,
    { command: fields.command, args: fields.args, env: fields.env, resources: fields.resources },
    { objectName },
  );
}

export function batchPodTemplate(ctx: RenderContext, checksum: string): Record<string, unknown> {
  return podTemplate(ctx, { ...mainPart(ctx), replicated: false, restartPolicy: "Never" }, checksum);
}
