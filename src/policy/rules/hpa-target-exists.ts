import { dig, text } from "../access.ts";
import { deployment, hpa } from "../fixtures.ts";
import { namespaceOf } from "../object-index.ts";
import { defineRule, none } from "../rule-kit.ts";

export const hpaTargetExists = defineRule({
  id: "hpa-target-exists",
  title: "Autoscalers target an existing workload",
  rationale:
    "An autoscaler whose target is misspelled or was renamed does nothing, silently: the app runs at its static replica count under load.",
  severity: "error",
  hint: "Point spec.scaleTargetRef at the kind and name of a workload in the same namespace.",
  kinds: ["HorizontalPodAutoscaler"],
  check: (o, { index }) => {
    const kind = text(dig(o, "spec", "scaleTargetRef", "kind")) ?? "";
    const name = text(dig(o, "spec", "scaleTargetRef", "name")) ?? "";
    return index.find(kind, namespaceOf(o), name)
      ? none
      : [
          {
            path: "spec.scaleTargetRef.name",
            message: `scale target ${kind} ${JSON.stringify(name)} does not exist`,
          },
        ];
  },
  examples: {
    pass: [deployment(), hpa()],
    fail: [deployment(), hpa("web", "wbe")],
    expect: {
      object: "HorizontalPodAutoscaler/shop/web",
      path: "spec.scaleTargetRef.name",
      message: 'scale target Deployment "wbe" does not exist',
    },
  },
});
