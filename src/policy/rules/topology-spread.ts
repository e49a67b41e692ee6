import { dig, list } from "../access.ts";
import { changed, deployment, podSpecOf } from "../fixtures.ts";
import { defineRule, none } from "../rule-kit.ts";
import { podTemplateOf, scalableKinds } from "../workload.ts";

export const topologySpread = defineRule({
  id: "topology-spread",
  title: "Production replicas spread across nodes or zones",
  rationale:
    "Replicas the scheduler packs onto one node or zone fail together; spreading turns a node or zone loss into reduced capacity instead of an outage.",
  severity: "warning",
  hint: "Add topologySpreadConstraints over topology.kubernetes.io/zone and/or kubernetes.io/hostname (or a podAntiAffinity).",
  kinds: scalableKinds,
  check: (o, { context, index }) => {
    if (!context.production) return none;
    const pod = podTemplateOf(o);
    if (!pod || index.minimumReplicasOf(o) < 2) return none;
    const spread = list(pod.spec.topologySpreadConstraints).length > 0;
    const antiAffinity = dig(pod.spec, "affinity", "podAntiAffinity") !== undefined;
    return spread || antiAffinity
      ? none
      : [
          {
            path: `${pod.path}.topologySpreadConstraints`,
            message: "replicas may all be scheduled on one node or zone",
          },
        ];
  },
  examples: {
    context: { channel: "stable", production: true },
    pass: [deployment()],
    fail: [changed(deployment(), (d) => void delete podSpecOf(d).topologySpreadConstraints)],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.topologySpreadConstraints",
      message: "replicas may all be scheduled on one node or zone",
    },
  },
});
