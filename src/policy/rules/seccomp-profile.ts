import { dig, text } from "../access.ts";
import { changed, deployment, podSpecOf } from "../fixtures.ts";
import { defineRule, perContainer, quoted } from "../rule-kit.ts";
import { podTemplateKinds, podTemplateOf } from "../workload.ts";

const confined = new Set(["RuntimeDefault", "Localhost"]);

export const seccompProfile = defineRule({
  id: "seccomp-profile",
  title: "A seccomp profile confines system calls",
  rationale:
    "Without a profile, containers run Unconfined and can make every system call the kernel offers, including the ones most kernel exploits need.",
  severity: "warning",
  hint: "Set securityContext.seccompProfile.type: RuntimeDefault on the pod.",
  kinds: podTemplateKinds,
  check: (o) => {
    const pod = podTemplateOf(o);
    const podType = text(dig(pod?.spec, "securityContext", "seccompProfile", "type"));
    return perContainer(o, "all", (c) => {
      const type = text(dig(c.container, "securityContext", "seccompProfile", "type")) ?? podType;
      return type !== undefined && confined.has(type)
        ? undefined
        : {
            path: `${pod?.path}.securityContext.seccompProfile`,
            message: `container ${quoted(c.name)} runs without a seccomp profile`,
          };
    });
  },
  examples: {
    pass: [deployment()],
    fail: [
      changed(
        deployment(),
        (d) => void delete (podSpecOf(d).securityContext as { seccompProfile?: unknown }).seccompProfile,
      ),
    ],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.securityContext.seccompProfile",
      message: 'container "app" runs without a seccomp profile',
    },
  },
});
