import { dig, int, list, record, text } from "../access.ts";
import { changed, deployment, firstContainer, hpa } from "../fixtures.ts";
import { namespaceOf } from "../object-index.ts";
import { defineRule, quoted } from "../rule-kit.ts";
import type { Violation } from "../types.ts";
import { containersOf } from "../workload.ts";

export const hpaMetricsSane = defineRule({
  id: "hpa-metrics-sane",
  title: "Autoscaler bounds and metrics make sense",
  rationale:
    "An autoscaler with maxReplicas ≤ minReplicas never scales; a utilization target is a percentage of the pods' requests, so it needs requests and a value between 1 and 100.",
  severity: "warning",
  hint: "Keep maxReplicas above minReplicas, utilization targets in 1–100, and set the matching requests on every target container.",
  kinds: ["HorizontalPodAutoscaler"],
  check: (o, { index }) => {
    const out: Violation[] = [];
    const min = int(dig(o, "spec", "minReplicas")) ?? 1;
    const max = int(dig(o, "spec", "maxReplicas"));
    if (max !== undefined && max <= min) {
      out.push({
        path: "spec.maxReplicas",
        message: `maxReplicas ${max} is not above minReplicas ${min}: it never scales`,
      });
    }
    const target = index.find(
      text(dig(o, "spec", "scaleTargetRef", "kind")) ?? "",
      namespaceOf(o),
      text(dig(o, "spec", "scaleTargetRef", "name")) ?? "",
    );
    const utilization: { resource: string; value: number | undefined; path: string }[] = [];
    const v1 = dig(o, "spec", "targetCPUUtilizationPercentage");
    if (v1 !== undefined)
      utilization.push({ resource: "cpu", value: int(v1), path: "spec.targetCPUUtilizationPercentage" });
    list(dig(o, "spec", "metrics")).forEach((m, i) => {
      const metric = record(m);
      const resource = text(dig(metric, "resource", "name"));
      if (metric?.type !== "Resource" || resource === undefined) return;
      if (text(dig(metric, "resource", "target", "type")) !== "Utilization") return;
      const value = int(dig(metric, "resource", "target", "averageUtilization"));
      utilization.push({ resource, value, path: `spec.metrics[${i}].resource.target.averageUtilization` });
    });
    for (const u of utilization) {
      if (u.value === undefined || u.value < 1 || u.value > 100) {
        out.push({
          path: u.path,
          message: `${u.resource} utilization target ${u.value ?? "missing"} is not within 1–100`,
        });
      }
      if (!target) continue;
      for (const c of containersOf(target)) {
        if (dig(c.container, "resources", "requests", u.resource) === undefined) {
          out.push({
            path: u.path,
            message: `${u.resource} utilization needs ${u.resource} requests, but container ${quoted(c.name)} of ${target.kind} ${quoted(target.metadata.name)} has none`,
          });
        }
      }
    }
    return out;
  },
  examples: {
    pass: [deployment(), hpa()],
    fail: [
      changed(deployment(), (d) => {
        firstContainer(d).resources = { limits: { memory: "256Mi" } };
      }),
      hpa(),
    ],
    expect: {
      object: "HorizontalPodAutoscaler/shop/web",
      path: "spec.metrics[0].resource.target.averageUtilization",
      message: 'cpu utilization needs cpu requests, but container "app" of Deployment "web" has none',
    },
  },
});
