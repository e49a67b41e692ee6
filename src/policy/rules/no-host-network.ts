import { hostNamespaceRule } from "../host-namespace.ts";

export const noHostNetwork = hostNamespaceRule({
  id: "no-host-network",
  field: "hostNetwork",
  what: "network namespace",
  rationale:
    "A pod on the host network sees every interface of the node, can bind its ports and bypasses NetworkPolicy.",
});
