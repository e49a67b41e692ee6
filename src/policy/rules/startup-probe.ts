import { dig, int } from "../access.ts";
import { changed, deployment, firstContainer } from "../fixtures.ts";
import { defineRule, perContainer, quoted } from "../rule-kit.ts";
import { serviceWorkloadKinds } from "../workload.ts";

/** A liveness probe that waits this long is a workaround for a slow start. */
const slowStartSeconds = 30;

export const startupProbe = defineRule({
  id: "startup-probe",
  title: "Slow starters use a startup probe",
  rationale:
    "A long initialDelaySeconds on the liveness probe delays detection of every later hang too; a startup probe covers the slow start and hands over to a prompt liveness probe.",
  severity: "warning",
  hint: `Move the start-up wait into startupProbe (failureThreshold × periodSeconds) and keep livenessProbe.initialDelaySeconds under ${slowStartSeconds}.`,
  kinds: serviceWorkloadKinds,
  check: (o) =>
    perContainer(o, "app", (c) => {
      const delay = int(dig(c.container, "livenessProbe", "initialDelaySeconds")) ?? 0;
      return delay > slowStartSeconds && c.container.startupProbe === undefined
        ? {
            path: `${c.path}.startupProbe`,
            message: `container ${quoted(c.name)} delays its liveness probe ${delay}s but has no startup probe`,
          }
        : undefined;
    }),
  examples: {
    pass: [
      deployment(),
      changed(deployment(), (d) => {
        const c = firstContainer(d);
        (c.livenessProbe as { initialDelaySeconds?: number }).initialDelaySeconds = 120;
        c.startupProbe = {
          httpGet: { path: "/healthz", port: "http" },
          failureThreshold: 30,
          periodSeconds: 5,
        };
      }),
    ],
    fail: [
      changed(deployment(), (d) => {
        (firstContainer(d).livenessProbe as { initialDelaySeconds?: number }).initialDelaySeconds = 120;
      }),
    ],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.containers[0].startupProbe",
      message: 'container "app" delays its liveness probe 120s but has no startup probe',
    },
  },
});
