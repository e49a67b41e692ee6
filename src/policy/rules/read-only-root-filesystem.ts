import { dig } from "../access.ts";
import { changed, deployment, firstContainer } from "../fixtures.ts";
import { defineRule, perContainer, quoted } from "../rule-kit.ts";
import { podTemplateKinds } from "../workload.ts";

export const readOnlyRootFilesystem = defineRule({
  id: "read-only-root-filesystem",
  title: "The root filesystem is read-only",
  rationale:
    "An attacker who gets code execution cannot drop tools or alter binaries on a read-only root; writes that are needed go to an emptyDir, visible in the spec.",
  severity: "warning",
  hint: "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the process writes (e.g. /tmp).",
  kinds: podTemplateKinds,
  check: (o) =>
    perContainer(o, "all", (c) =>
      dig(c.container, "securityContext", "readOnlyRootFilesystem") === true
        ? undefined
        : {
            path: `${c.path}.securityContext.readOnlyRootFilesystem`,
            message: `container ${quoted(c.name)} has a writable root filesystem`,
          },
    ),
  examples: {
    pass: [deployment()],
    fail: [
      changed(deployment(), (d) => {
        (firstContainer(d).securityContext as { readOnlyRootFilesystem?: boolean }).readOnlyRootFilesystem =
          false;
      }),
    ],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem",
      message: 'container "app" has a writable root filesystem',
    },
  },
});
