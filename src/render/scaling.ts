/** HorizontalPodAutoscaler (autoscaling/v2: CPU, memory and External metrics) and PodDisruptionBudget. */
import type { KubeObject } from "../core/kube-object.ts";
import { metadata, type RenderContext } from "./context.ts";
import { effectiveMinReplicas } from "./pod.ts";

export function autoscaler(ctx: RenderContext): KubeObject | undefined {
  const a = ctx.spec.autoscaling;
  if (!a) return undefined;
  const metrics: Record<string, unknown>[] = [];
  if (a.cpu !== undefined) {
    metrics.push({
      type: "Resource",
      resource: { name: "cpu", target: { type: "Utilization", averageUtilization: a.cpu } },
    });
  }
  if (a.memory !== undefined) {
    metrics.push({
      type: "Resource",
      resource: { name: "memory", target: { type: "Utilization", averageUtilization: a.memory } },
    });
  }
  for (const m of a.external ?? []) {
    metrics.push({
      type: "External",
      external: {
        metric: { name: m.metric, ...(m.selector ? { selector: { matchLabels: { ...m.selector } } } : {}) },
        target: { type: "AverageValue", averageValue: m.averageValue },
      },
    });
  }
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: metadata(ctx, ctx.names.app),
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: ctx.names.app },
      minReplicas: a.minReplicas,
      maxReplicas: a.maxReplicas,
      metrics,
    },
  };
}

/**
 * By default only for workloads that run two or more pods, allowing one eviction at a time so it
 * never blocks all; `disruptionBudget` chooses another bound, or none (`enabled: false`).
 */
export function disruptionBudget(ctx: RenderContext): KubeObject | undefined {
  const chosen = ctx.spec.disruptionBudget ?? {};
  if (chosen.enabled === false) return undefined;
  if (chosen.enabled !== true && effectiveMinReplicas(ctx.spec) < 2) return undefined;
  const bound =
    chosen.minAvailable !== undefined
      ? { minAvailable: chosen.minAvailable }
      : { maxUnavailable: chosen.maxUnavailable ?? 1 };
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: metadata(ctx, ctx.names.app),
    spec: { ...bound, selector: { matchLabels: { ...ctx.labels.selector } } },
  };
}
