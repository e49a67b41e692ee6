import { dig } from "../access.ts";
import { changed, deployment, firstContainer } from "../fixtures.ts";
import { defineRule, perContainer, quoted } from "../rule-kit.ts";
import { podTemplateKinds } from "../workload.ts";

export const containerMemoryLimit = defineRule({
  id: "container-memory-limit",
  title: "A memory limit is set",
  rationale:
    "Memory is not compressible: a container without a limit can take its node's memory and get its neighbours OOM-killed.",
  severity: "error",
  hint: "Set resources.limits.memory (commonly 1–2× the request).",
  kinds: podTemplateKinds,
  check: (o) =>
    perContainer(o, "all", (c) =>
      dig(c.container, "resources", "limits", "memory") === undefined
        ? {
            path: `${c.path}.resources.limits.memory`,
            message: `container ${quoted(c.name)} has no memory limit`,
          }
        : undefined,
    ),
  examples: {
    pass: [deployment()],
    fail: [
      changed(deployment(), (d) => void delete (firstContainer(d).resources as { limits?: unknown }).limits),
    ],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.containers[0].resources.limits.memory",
      message: 'container "app" has no memory limit',
    },
  },
});
