/**
 * Where the pods run: node selector, tolerations, affinity, and the spread over nodes (and zones in
 * production) — Slipway's default spread, or the spec's own list (`[]` for none).
 */
import type { RenderContext } from "./context.ts";

type Json = Record<string, unknown>;

/** Pod spec fields; `replicated` says whether the pods may number two or more. */
export function placement(ctx: RenderContext, selector: Record<string, string>, replicated: boolean): Json {
  const p = ctx.spec.placement ?? {};
  const spread = p.topologySpread
    ? p.topologySpread.map((c) => constraint(c.topologyKey, selector, c.maxSkew, c.whenUnsatisfiable))
    : replicated
      ? defaultSpread(ctx, selector)
      : [];
  return {
    ...(p.nodeSelector && Object.keys(p.nodeSelector).length ? { nodeSelector: { ...p.nodeSelector } } : {}),
    ...(p.tolerations?.length ? { tolerations: p.tolerations.map((t) => ({ ...t })) } : {}),
    ...(p.affinity && Object.keys(p.affinity).length ? { affinity: structuredClone(p.affinity) } : {}),
    ...(spread.length ? { topologySpreadConstraints: spread } : {}),
  };
}

function defaultSpread(ctx: RenderContext, selector: Record<string, string>): Json[] {
  const byNode = constraint("kubernetes.io/hostname", selector);
  return ctx.target.production ? [byNode, constraint("topology.kubernetes.io/zone", selector)] : [byNode];
}

function constraint(
  topologyKey: string,
  selector: Record<string, string>,
  maxSkew = 1,
  whenUnsatisfiable = "ScheduleAnyway",
): Json {
  return { maxSkew, topologyKey, whenUnsatisfiable, labelSelector: { matchLabels: { ...selector } } };
}
