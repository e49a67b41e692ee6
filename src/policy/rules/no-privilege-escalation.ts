import { dig } from "../access.ts";
import { changed, deployment, firstContainer } from "../fixtures.ts";
import { defineRule, perContainer, quoted } from "../rule-kit.ts";
import { podTemplateKinds } from "../workload.ts";

export const noPrivilegeEscalation = defineRule({
  id: "no-privilege-escalation",
  title: "Privilege escalation is disallowed",
  rationale:
    "allowPrivilegeEscalation defaults to true: a setuid binary in the image can gain more privileges than the process started with.",
  severity: "error",
  hint: "Set securityContext.allowPrivilegeEscalation: false on every container.",
  kinds: podTemplateKinds,
  check: (o) =>
    perContainer(o, "all", (c) =>
      dig(c.container, "securityContext", "allowPrivilegeEscalation") === false
        ? undefined
        : {
            path: `${c.path}.securityContext.allowPrivilegeEscalation`,
            message: `container ${quoted(c.name)} allows privilege escalation`,
          },
    ),
  examples: {
    pass: [deployment()],
    fail: [
      changed(deployment(), (d) => {
        delete (firstContainer(d).securityContext as { allowPrivilegeEscalation?: boolean })
          .allowPrivilegeEscalation;
      }),
    ],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation",
      message: 'container "app" allows privilege escalation',
    },
  },
});
