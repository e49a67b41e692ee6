import { list } from "../access.ts";
import { changed, deployment, firstContainer } from "../fixtures.ts";
import { defineRule, perContainer, quoted } from "../rule-kit.ts";
import { serviceWorkloadKinds } from "../workload.ts";

export const readinessProbe = defineRule({
  id: "readiness-probe",
  title: "A readiness probe is set",
  rationale:
    "Without a readiness probe a pod receives traffic the moment its process starts, and a rolling update sends requests to pods that cannot answer yet.",
  severity: "error",
  hint: "Add readinessProbe (httpGet on a /ready endpoint, or tcpSocket) to every serving container.",
  kinds: serviceWorkloadKinds,
  check: (o) =>
    perContainer(o, "app", (c) =>
      // A container without ports serves no traffic (a queue worker): readiness gates nothing.
      c.container.readinessProbe === undefined && list(c.container.ports).length > 0
        ? { path: `${c.path}.readinessProbe`, message: `container ${quoted(c.name)} has no readiness probe` }
        : undefined,
    ),
  examples: {
    pass: [
      deployment(),
      changed(deployment("worker"), (d) => {
        delete firstContainer(d).readinessProbe;
        delete firstContainer(d).ports;
      }),
    ],
    fail: [changed(deployment(), (d) => void delete firstContainer(d).readinessProbe)],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.containers[0].readinessProbe",
      message: 'container "app" has no readiness probe',
    },
  },
});
