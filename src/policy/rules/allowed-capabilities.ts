import { dig, list } from "../access.ts";
import { DEFAULT_ALLOWED_CAPABILITIES } from "../config.ts";
import { changed, deployment, firstContainer } from "../fixtures.ts";
import { defineRule, perContainer, quoted } from "../rule-kit.ts";
import { podTemplateKinds } from "../workload.ts";

/** `cap_sys_admin`, `CAP_SYS_ADMIN` and `SYS_ADMIN` are the same capability to the runtime. */
function capabilityName(value: unknown): string {
  return String(value).toUpperCase().replace(/^CAP_/, "");
}

export const allowedCapabilities = defineRule({
  id: "allowed-capabilities",
  title: "Containers add only capabilities the platform allows",
  rationale:
    "An added capability is a piece of root: SYS_ADMIN alone reaches most of what privileged does, NET_ADMIN rewrites the node's network, SYS_PTRACE reads other processes. Which ones a team may add is the platform's decision (policy.allowedCapabilities, default NET_BIND_SERVICE only), and no waiver in an app's slipway.yaml lifts this rule.",
  severity: "error",
  hint: "Remove the capability from securityContext.capabilities.add; if the platform team agrees the workload needs it, they list it under policy.allowedCapabilities in the platform file.",
  kinds: podTemplateKinds,
  check: (o, env) => {
    const allowed = new Set(
      (env.context.allowedCapabilities ?? DEFAULT_ALLOWED_CAPABILITIES).map(capabilityName),
    );
    return perContainer(o, "all", (c) =>
      list(dig(c.container, "securityContext", "capabilities", "add")).flatMap((cap, i) =>
        allowed.has(capabilityName(cap))
          ? []
          : [
              {
                path: `${c.path}.securityContext.capabilities.add[${i}]`,
                message: `container ${quoted(c.name)} adds capability ${capabilityName(cap)}, which the platform does not allow (allowed: ${[...allowed].join(", ") || "none"})`,
              },
            ],
      ),
    );
  },
  examples: {
    pass: [
      changed(deployment(), (d) => {
        (firstContainer(d).securityContext as { capabilities: unknown }).capabilities = {
          drop: ["ALL"],
          add: ["NET_BIND_SERVICE"],
        };
      }),
    ],
    fail: [
      changed(deployment(), (d) => {
        (firstContainer(d).securityContext as { capabilities: unknown }).capabilities = {
          drop: ["ALL"],
          add: ["NET_BIND_SERVICE", "SYS_ADMIN"],
        };
      }),
    ],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.containers[0].securityContext.capabilities.add[1]",
      message:
        'container "app" adds capability SYS_ADMIN, which the platform does not allow (allowed: NET_BIND_SERVICE)',
    },
  },
});
