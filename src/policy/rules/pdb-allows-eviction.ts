import { dig, int, text } from "../access.ts";
import { deployment, pdb } from "../fixtures.ts";
import { namespaceOf } from "../object-index.ts";
import { defineRule, none } from "../rule-kit.ts";
import { matchesLabelSelector } from "../selector.ts";
import type { Violation } from "../types.ts";
import { podTemplateOf, scalableKinds } from "../workload.ts";

export const pdbAllowsEviction = defineRule({
  id: "pdb-allows-eviction",
  title: "A PodDisruptionBudget allows at least one eviction",
  rationale:
    "A budget of zero disruptions makes every node drain hang: cluster upgrades stall, and operators end up deleting the PDB under pressure.",
  severity: "error",
  hint: "Use maxUnavailable: 1 (or a minAvailable below the replica count).",
  kinds: ["PodDisruptionBudget"],
  check: (o, { index }) => {
    const maxUnavailable = dig(o, "spec", "maxUnavailable");
    if (maxUnavailable === 0 || maxUnavailable === "0%" || maxUnavailable === "0") {
      return [{ path: "spec.maxUnavailable", message: "maxUnavailable 0 blocks every voluntary eviction" }];
    }
    const minAvailable = dig(o, "spec", "minAvailable");
    if (text(minAvailable) === "100%") {
      return [{ path: "spec.minAvailable", message: "minAvailable 100% blocks every voluntary eviction" }];
    }
    const min = int(minAvailable);
    if (min === undefined) return none;
    const out: Violation[] = [];
    const selector = dig(o, "spec", "selector");
    for (const w of index.ofKinds(scalableKinds, namespaceOf(o))) {
      const pod = podTemplateOf(w);
      if (!pod || !matchesLabelSelector(selector, pod.labels)) continue;
      const replicas = index.minimumReplicasOf(w);
      if (min >= replicas) {
        out.push({
          path: "spec.minAvailable",
          message: `minAvailable ${min} leaves no eviction for ${w.kind} ${JSON.stringify(w.metadata.name)} with ${replicas} replicas`,
        });
      }
    }
    return out;
  },
  examples: {
    pass: [deployment("web", 3), pdb("web", { minAvailable: 2 })],
    fail: [deployment("web", 2), pdb("web", { minAvailable: 2 })],
    expect: {
      object: "PodDisruptionBudget/shop/web",
      path: "spec.minAvailable",
      message: 'minAvailable 2 leaves no eviction for Deployment "web" with 2 replicas',
    },
  },
});
