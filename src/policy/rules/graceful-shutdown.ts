import { dig, int, list } from "../access.ts";
import { changed, deployment, podSpecOf } from "../fixtures.ts";
import { defineRule, perContainer, quoted } from "../rule-kit.ts";
import type { Violation } from "../types.ts";
import { podTemplateOf, serviceWorkloadKinds } from "../workload.ts";

/** The API default for terminationGracePeriodSeconds. */
const defaultGrace = 30;

export const gracefulShutdown = defineRule({
  id: "graceful-shutdown",
  title: "Serving containers shut down gracefully",
  rationale:
    "Endpoints are removed asynchronously: a pod that exits on SIGTERM still gets requests for a few seconds. A short preStop pause inside the grace period lets it drain — zero-downtime deploys depend on it.",
  severity: "warning",
  hint: "Add lifecycle.preStop (e.g. sleep: {seconds: 5}) and keep terminationGracePeriodSeconds above that pause.",
  kinds: serviceWorkloadKinds,
  check: (o) => {
    const pod = podTemplateOf(o);
    const grace = int(pod?.spec.terminationGracePeriodSeconds) ?? defaultGrace;
    return perContainer(o, "app", (c) => {
      if (list(c.container.ports).length === 0) return undefined; // not serving traffic
      const preStop = dig(c.container, "lifecycle", "preStop");
      if (preStop === undefined) {
        return {
          path: `${c.path}.lifecycle.preStop`,
          message: `container ${quoted(c.name)} has no preStop hook`,
        };
      }
      const pause = int(dig(preStop, "sleep", "seconds"));
      if (pause !== undefined && pause >= grace) {
        const v: Violation = {
          path: `${pod?.path}.terminationGracePeriodSeconds`,
          message: `grace period ${grace}s does not outlast the ${pause}s preStop pause of container ${quoted(c.name)}`,
        };
        return v;
      }
      return undefined;
    });
  },
  examples: {
    pass: [deployment()],
    fail: [
      changed(deployment(), (d) => {
        podSpecOf(d).terminationGracePeriodSeconds = 5;
      }),
    ],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.terminationGracePeriodSeconds",
      message: 'grace period 5s does not outlast the 5s preStop pause of container "app"',
    },
  },
});
