import { deployment, networkPolicy } from "../fixtures.ts";
import { namespaceOf } from "../object-index.ts";
import { defineRule, none } from "../rule-kit.ts";
import { matchesLabelSelector } from "../selector.ts";
import { podTemplateKinds, podTemplateOf } from "../workload.ts";

export const networkPolicyPresent = defineRule({
  id: "network-policy-present",
  title: "A NetworkPolicy selects the pods",
  rationale:
    "Without a NetworkPolicy every pod in the cluster can reach these pods; one compromised service can then talk to all the others.",
  severity: "warning",
  hint: "Add a NetworkPolicy whose podSelector matches the pods and allows only the expected ingress (Slipway renders one).",
  kinds: podTemplateKinds,
  check: (o, { index }) => {
    const pod = podTemplateOf(o);
    if (!pod) return none;
    const covered = index.ofKind("NetworkPolicy", namespaceOf(o)).some((np) => {
      // A missing podSelector is the empty selector: it selects every pod of the namespace.
      const selector = (np.spec as { podSelector?: unknown } | undefined)?.podSelector ?? {};
      return matchesLabelSelector(selector, pod.labels);
    });
    return covered ? none : [{ path: pod.labelsPath, message: "no NetworkPolicy selects these pods" }];
  },
  examples: {
    pass: [deployment(), networkPolicy()],
    fail: [deployment()],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.metadata.labels",
      message: "no NetworkPolicy selects these pods",
    },
  },
});
