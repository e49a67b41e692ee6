import { deployment } from "../fixtures.ts";
import { defineRule, none } from "../rule-kit.ts";
import { replicasOf, scalableKinds } from "../workload.ts";

export const replicasProduction = defineRule({
  id: "replicas-production",
  title: "At least 2 replicas in production",
  rationale:
    "A single replica is down during every rollout hiccup, node drain and crash; production channels need a second pod to fail over to.",
  severity: "error",
  hint: "Set replicas: 2 or more (or an autoscaler with minReplicas ≥ 2) for production channels.",
  kinds: scalableKinds,
  check: (o, { context, index }) => {
    if (!context.production || index.autoscalerFor(o)) return none;
    const replicas = replicasOf(o);
    return replicas < 2 ? [{ path: "spec.replicas", message: `${replicas} replica in production` }] : none;
  },
  examples: {
    context: { channel: "stable", production: true },
    pass: [deployment("web", 2)],
    fail: [deployment("web", 1)],
    expect: { object: "Deployment/shop/web", path: "spec.replicas", message: "1 replica in production" },
  },
});
