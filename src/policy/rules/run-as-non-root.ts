import { bool, dig, int } from "../access.ts";
import { changed, deployment, firstContainer, podSpecOf } from "../fixtures.ts";
import { defineRule, perContainer, quoted } from "../rule-kit.ts";
import { podTemplateKinds, podTemplateOf } from "../workload.ts";

export const runAsNonRoot = defineRule({
  id: "run-as-non-root",
  title: "Containers run as a non-root user",
  rationale:
    "Root in a container is root on the node's kernel; one container escape away from the node. runAsNonRoot makes the kubelet refuse an image that would start as root.",
  severity: "error",
  hint: "Set securityContext.runAsNonRoot: true (pod or container) and build the image with a numeric non-root USER.",
  kinds: podTemplateKinds,
  check: (o) => {
    const pod = podTemplateOf(o)?.spec.securityContext;
    return perContainer(o, "all", (c) => {
      const sc = c.container.securityContext;
      const user = int(dig(sc, "runAsUser")) ?? int(dig(pod, "runAsUser"));
      if (user === 0) {
        return {
          path: `${c.path}.securityContext.runAsUser`,
          message: `container ${quoted(c.name)} runs as root (uid 0)`,
        };
      }
      const nonRoot = bool(dig(sc, "runAsNonRoot")) ?? bool(dig(pod, "runAsNonRoot"));
      return nonRoot === true || (user !== undefined && user > 0)
        ? undefined
        : {
            path: `${c.path}.securityContext.runAsNonRoot`,
            message: `container ${quoted(c.name)} may run as root`,
          };
    });
  },
  examples: {
    pass: [deployment()],
    fail: [
      changed(deployment(), (d) => {
        delete (podSpecOf(d).securityContext as { runAsNonRoot?: boolean }).runAsNonRoot;
        delete (firstContainer(d).securityContext as { runAsNonRoot?: boolean }).runAsNonRoot;
      }),
    ],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.containers[0].securityContext.runAsNonRoot",
      message: 'container "app" may run as root',
    },
  },
});
