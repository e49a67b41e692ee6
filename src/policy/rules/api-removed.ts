import { deployment } from "../fixtures.ts";
import { anyKind } from "../kinds.ts";
import { defineRule, none } from "../rule-kit.ts";
import { lifecycleOf, statusAt } from "../upgrade/deprecations.ts";
import { targetVersionOf } from "../upgrade/target-version.ts";

export const apiRemoved = defineRule({
  id: "api-removed",
  title: "No API versions the cluster no longer serves",
  rationale:
    "An apiVersion the target Kubernetes version has removed is rejected at apply time — typically discovered mid-upgrade, which is how cluster upgrades break deploys.",
  severity: "error",
  hint: "Change apiVersion to the replacement named in the message (see `slipway upgrade-check`).",
  kinds: [anyKind],
  check: (o, { context }) => {
    const entry = lifecycleOf(o.apiVersion, o.kind);
    if (!entry) return none;
    const target = targetVersionOf(context);
    return statusAt(entry, target) === "removed"
      ? [
          {
            path: "apiVersion",
            message: `${o.apiVersion} ${o.kind} was removed in Kubernetes ${entry.removedIn}; use ${entry.replacement}`,
          },
        ]
      : none;
  },
  examples: {
    context: { kubernetesVersion: "1.31" },
    pass: [deployment()],
    fail: [{ ...deployment(), apiVersion: "extensions/v1beta1" }],
    expect: {
      object: "Deployment/shop/web",
      path: "apiVersion",
      message: "extensions/v1beta1 Deployment was removed in Kubernetes 1.16; use apps/v1",
    },
  },
});
