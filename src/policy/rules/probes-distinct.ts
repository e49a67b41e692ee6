import { isDeepStrictEqual } from "node:util";
import { changed, deployment, firstContainer } from "../fixtures.ts";
import { defineRule, perContainer, quoted } from "../rule-kit.ts";
import { serviceWorkloadKinds } from "../workload.ts";

export const probesDistinct = defineRule({
  id: "probes-distinct",
  title: "Liveness and readiness probes differ",
  rationale:
    "Identical probes restart a pod whenever it is merely busy: the moment it should only stop getting traffic, it is killed too, and an overload becomes a crash loop.",
  severity: "warning",
  hint: "Make the liveness probe cheaper and more tolerant (other endpoint, higher failureThreshold) than the readiness probe.",
  kinds: serviceWorkloadKinds,
  check: (o) =>
    perContainer(o, "app", (c) => {
      const { livenessProbe, readinessProbe } = c.container;
      return livenessProbe !== undefined && isDeepStrictEqual(livenessProbe, readinessProbe)
        ? {
            path: `${c.path}.livenessProbe`,
            message: `container ${quoted(c.name)} has identical liveness and readiness probes`,
          }
        : undefined;
    }),
  examples: {
    pass: [deployment()],
    fail: [
      changed(deployment(), (d) => {
        const c = firstContainer(d);
        c.livenessProbe = structuredClone(c.readinessProbe);
      }),
    ],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.containers[0].livenessProbe",
      message: 'container "app" has identical liveness and readiness probes',
    },
  },
});
