import { dig, int } from "../access.ts";
import { hpa } from "../fixtures.ts";
import { defineRule, none } from "../rule-kit.ts";

export const hpaMinReplicas = defineRule({
  id: "hpa-min-replicas",
  title: "Autoscalers keep at least 2 replicas in production",
  rationale:
    "An autoscaler that may scale to one pod leaves production on a single replica at night: one node failure or eviction is an outage.",
  severity: "error",
  hint: "Set spec.minReplicas: 2 or more for production channels.",
  kinds: ["HorizontalPodAutoscaler"],
  check: (o, { context }) => {
    if (!context.production) return none;
    const min = int(dig(o, "spec", "minReplicas")) ?? 1;
    return min < 2
      ? [{ path: "spec.minReplicas", message: `minReplicas ${min} allows a single replica in production` }]
      : none;
  },
  examples: {
    context: { channel: "stable", production: true },
    pass: [hpa()],
    fail: [hpa("web", "web", 1)],
    expect: {
      object: "HorizontalPodAutoscaler/shop/web",
      path: "spec.minReplicas",
      message: "minReplicas 1 allows a single replica in production",
    },
  },
});
