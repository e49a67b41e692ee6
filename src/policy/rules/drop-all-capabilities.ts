import { dig, list } from "../access.ts";
import { changed, deployment, firstContainer } from "../fixtures.ts";
import { defineRule, perContainer, quoted } from "../rule-kit.ts";
import { podTemplateKinds } from "../workload.ts";

export const dropAllCapabilities = defineRule({
  id: "drop-all-capabilities",
  title: "Capabilities drop ALL",
  rationale:
    "The runtime's default capability set (NET_RAW, CHOWN, SETUID, …) is more than almost any service needs; dropping ALL and adding back one is least privilege.",
  severity: "warning",
  hint: 'Set securityContext.capabilities.drop: ["ALL"] and add back only what is needed (e.g. NET_BIND_SERVICE).',
  kinds: podTemplateKinds,
  check: (o) =>
    perContainer(o, "all", (c) =>
      list(dig(c.container, "securityContext", "capabilities", "drop")).some(
        (x) => x === "ALL" || x === "all",
      )
        ? undefined
        : {
            path: `${c.path}.securityContext.capabilities.drop`,
            message: `container ${quoted(c.name)} does not drop all capabilities`,
          },
    ),
  examples: {
    pass: [deployment()],
    fail: [
      changed(deployment(), (d) => {
        delete (firstContainer(d).securityContext as { capabilities?: unknown }).capabilities;
      }),
    ],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.containers[0].securityContext.capabilities.drop",
      message: 'container "app" does not drop all capabilities',
    },
  },
});
