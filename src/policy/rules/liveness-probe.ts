import { changed, deployment, firstContainer } from "../fixtures.ts";
import { defineRule, perContainer, quoted } from "../rule-kit.ts";
import { serviceWorkloadKinds } from "../workload.ts";

export const livenessProbe = defineRule({
  id: "liveness-probe",
  title: "A liveness probe is set",
  rationale: "A process that hangs without exiting is only restarted if a liveness probe notices.",
  severity: "warning",
  hint: "Add livenessProbe that checks the process itself (not its dependencies).",
  kinds: serviceWorkloadKinds,
  check: (o) =>
    perContainer(o, "app", (c) =>
      c.container.livenessProbe === undefined
        ? { path: `${c.path}.livenessProbe`, message: `container ${quoted(c.name)} has no liveness probe` }
        : undefined,
    ),
  examples: {
    pass: [deployment()],
    fail: [changed(deployment(), (d) => void delete firstContainer(d).livenessProbe)],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.containers[0].livenessProbe",
      message: 'container "app" has no liveness probe',
    },
  },
});
