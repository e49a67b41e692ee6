import { dig } from "../access.ts";
import { changed, deployment, firstContainer } from "../fixtures.ts";
import { defineRule, perContainer, quoted } from "../rule-kit.ts";
import { podTemplateKinds } from "../workload.ts";

export const noPrivileged = defineRule({
  id: "no-privileged",
  title: "Containers are not privileged",
  rationale: "A privileged container has every capability and the host's devices: it is the node.",
  severity: "error",
  hint: "Remove securityContext.privileged; grant the one capability the process needs instead.",
  kinds: podTemplateKinds,
  check: (o) =>
    perContainer(o, "all", (c) =>
      dig(c.container, "securityContext", "privileged") === true
        ? {
            path: `${c.path}.securityContext.privileged`,
            message: `container ${quoted(c.name)} is privileged`,
          }
        : undefined,
    ),
  examples: {
    pass: [deployment()],
    fail: [
      changed(deployment(), (d) => {
        (firstContainer(d).securityContext as { privileged?: boolean }).privileged = true;
      }),
    ],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.containers[0].securityContext.privileged",
      message: 'container "app" is privileged',
    },
  },
});
