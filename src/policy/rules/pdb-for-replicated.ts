import { deployment, pdb } from "../fixtures.ts";
import { namespaceOf } from "../object-index.ts";
import { defineRule, none } from "../rule-kit.ts";
import { matchesLabelSelector } from "../selector.ts";
import { podTemplateOf, scalableKinds } from "../workload.ts";

export const pdbForReplicated = defineRule({
  id: "pdb-for-replicated",
  title: "Replicated workloads have a PodDisruptionBudget",
  rationale:
    "Node drains during upgrades and autoscaler scale-downs evict pods without regard for the app; only a PDB makes them keep enough replicas serving.",
  severity: "warning",
  hint: "Add a PodDisruptionBudget selecting the pods, e.g. maxUnavailable: 1 (Slipway renders one for replicas ≥ 2).",
  kinds: scalableKinds,
  check: (o, { index }) => {
    const pod = podTemplateOf(o);
    const replicas = index.minimumReplicasOf(o);
    if (!pod || replicas < 2) return none;
    const covered = index
      .ofKind("PodDisruptionBudget", namespaceOf(o))
      .some((p) =>
        matchesLabelSelector((p.spec as { selector?: unknown } | undefined)?.selector, pod.labels),
      );
    return covered
      ? none
      : [
          {
            path: "spec.replicas",
            message: `${replicas} replicas but no PodDisruptionBudget covers the pods`,
          },
        ];
  },
  examples: {
    pass: [deployment(), pdb(), deployment("solo", 1)],
    fail: [deployment("web", 3)],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.replicas",
      message: "3 replicas but no PodDisruptionBudget covers the pods",
    },
  },
});
