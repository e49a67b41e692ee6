import { changed, service } from "../fixtures.ts";
import { anyKind, isClusterScoped } from "../kinds.ts";
import { defineRule, none } from "../rule-kit.ts";

export const namespaceSet = defineRule({
  id: "namespace-set",
  title: "Namespaced objects name their namespace",
  rationale:
    "An object without a namespace lands wherever the applying client's context points; the same manifest then deploys into different places for different people.",
  severity: "warning",
  hint: "Set metadata.namespace (Slipway renders it from the target).",
  kinds: [anyKind],
  check: (o) =>
    o.metadata.namespace || isClusterScoped(o.kind)
      ? none
      : [{ path: "metadata.namespace", message: `${o.kind} has no namespace` }],
  examples: {
    pass: [service()],
    fail: [changed(service(), (s) => void delete s.metadata.namespace)],
    expect: { object: "Service/web", path: "metadata.namespace", message: "Service has no namespace" },
  },
});
