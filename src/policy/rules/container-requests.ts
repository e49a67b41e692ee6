import { dig } from "../access.ts";
import { changed, deployment, firstContainer } from "../fixtures.ts";
import { defineRule, perContainer, quoted } from "../rule-kit.ts";
import type { Violation } from "../types.ts";
import { podTemplateKinds } from "../workload.ts";

export const containerRequests = defineRule({
  id: "container-requests",
  title: "CPU and memory requests are set",
  rationale:
    "The scheduler places pods by their requests; without them a pod lands on a full node, is first to be evicted, and capacity and cost views cannot count it.",
  severity: "error",
  hint: "Set resources.requests.cpu and resources.requests.memory on every container.",
  kinds: podTemplateKinds,
  check: (o) =>
    perContainer(o, "all", (c) => {
      const out: Violation[] = [];
      for (const r of ["cpu", "memory"]) {
        if (dig(c.container, "resources", "requests", r) === undefined) {
          out.push({
            path: `${c.path}.resources.requests.${r}`,
            message: `container ${quoted(c.name)} has no ${r} request`,
          });
        }
      }
      return out.length > 0 ? out : undefined;
    }),
  examples: {
    pass: [deployment()],
    fail: [
      changed(
        deployment(),
        (d) => void delete (firstContainer(d).resources as { requests?: unknown }).requests,
      ),
    ],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.containers[0].resources.requests.cpu",
      message: 'container "app" has no cpu request',
    },
  },
});
