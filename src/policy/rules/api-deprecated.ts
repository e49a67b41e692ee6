import { anyKind } from "../kinds.ts";
import { defineRule, none } from "../rule-kit.ts";
import { lifecycleOf, statusAt } from "../upgrade/deprecations.ts";
import { targetVersionOf } from "../upgrade/target-version.ts";

export const apiDeprecated = defineRule({
  id: "api-deprecated",
  title: "No deprecated API versions",
  rationale:
    "A deprecated apiVersion still works but is scheduled to go away; moving now is a one-line change instead of an upgrade blocker later.",
  severity: "warning",
  hint: "Change apiVersion to the replacement named in the message.",
  kinds: [anyKind],
  check: (o, { context }) => {
    const entry = lifecycleOf(o.apiVersion, o.kind);
    if (!entry || statusAt(entry, targetVersionOf(context)) !== "deprecated") return none;
    const removal = entry.removedIn ? `, removed in ${entry.removedIn}` : "";
    return [
      {
        path: "apiVersion",
        message: `${o.apiVersion} ${o.kind} is deprecated since Kubernetes ${entry.deprecatedIn}${removal}; use ${entry.replacement}`,
      },
    ];
  },
  examples: {
    context: { kubernetesVersion: "1.24" },
    pass: [
      {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { name: "web", namespace: "shop" },
        spec: { maxUnavailable: 1, selector: { matchLabels: { app: "web" } } },
      },
    ],
    fail: [
      {
        apiVersion: "policy/v1beta1",
        kind: "PodDisruptionBudget",
        metadata: { name: "web", namespace: "shop" },
        spec: { maxUnavailable: 1, selector: { matchLabels: { app: "web" } } },
      },
    ],
    expect: {
      object: "PodDisruptionBudget/shop/web",
      path: "apiVersion",
      message:
        "policy/v1beta1 PodDisruptionBudget is deprecated since Kubernetes 1.21, removed in 1.25; use policy/v1",
    },
  },
});
