import { bool, text } from "../access.ts";
import { changed, deployment, podSpecOf } from "../fixtures.ts";
import { namespaceOf } from "../object-index.ts";
import { defineRule, none, quoted } from "../rule-kit.ts";
import { podTemplateKinds, podTemplateOf } from "../workload.ts";

export const serviceAccountToken = defineRule({
  id: "service-account-token",
  title: "The service-account token is not mounted unless needed",
  rationale:
    "Every pod gets an API token by default; most services never call the Kubernetes API, and a stolen token is a foothold in the cluster.",
  severity: "warning",
  hint: "Set automountServiceAccountToken: false on the pod (or its ServiceAccount); set it to true only where the API is called.",
  kinds: podTemplateKinds,
  check: (o, { index }) => {
    const pod = podTemplateOf(o);
    if (!pod) return none;
    const own = bool(pod.spec.automountServiceAccountToken);
    if (own !== undefined) return none; // an explicit choice either way is a decision, not an oversight
    const saName = text(pod.spec.serviceAccountName) ?? "default";
    const sa = index.find("ServiceAccount", namespaceOf(o), saName);
    if (sa && bool(sa.automountServiceAccountToken) === false) return none;
    return [
      {
        path: `${pod.path}.automountServiceAccountToken`,
        message: `pods mount the API token of service account ${quoted(saName)} without asking for it`,
      },
    ];
  },
  examples: {
    pass: [
      deployment(),
      changed(deployment("api"), (d) => {
        podSpecOf(d).automountServiceAccountToken = true;
      }),
    ],
    fail: [changed(deployment(), (d) => void delete podSpecOf(d).automountServiceAccountToken)],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.automountServiceAccountToken",
      message: 'pods mount the API token of service account "default" without asking for it',
    },
  },
});
