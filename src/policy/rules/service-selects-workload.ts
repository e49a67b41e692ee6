import { dig, list, record, stringMap, text } from "../access.ts";
import { deployment, service } from "../fixtures.ts";
import { namespaceOf } from "../object-index.ts";
import { defineRule, none, quoted } from "../rule-kit.ts";
import { matchesMap } from "../selector.ts";
import type { Violation } from "../types.ts";
import { appContainersOf, podTemplateKinds, podTemplateOf } from "../workload.ts";

export const serviceSelectsWorkload = defineRule({
  id: "service-selects-workload",
  title: "A Service selects a workload and its named ports exist",
  rationale:
    "A selector with a typo gives a Service with no endpoints: it deploys cleanly and answers nothing. A named targetPort the pods do not declare is the same failure one level down.",
  severity: "error",
  hint: "Make spec.selector equal to (a subset of) the pod template labels, and name targetPorts after container ports.",
  kinds: ["Service"],
  check: (o, { index }) => {
    const selector = stringMap(dig(o, "spec", "selector"));
    if (Object.keys(selector).length === 0 || dig(o, "spec", "type") === "ExternalName") return none;
    const selected = index.ofKinds(podTemplateKinds, namespaceOf(o)).filter((w) => {
      const pod = podTemplateOf(w);
      return pod !== undefined && matchesMap(selector, pod.labels);
    });
    if (selected.length === 0) {
      return [{ path: "spec.selector", message: `selector ${JSON.stringify(selector)} matches no workload` }];
    }
    const portNames = new Set<string>();
    for (const w of selected) {
      for (const c of appContainersOf(w)) {
        for (const p of list(c.container.ports)) {
          const name = text(record(p)?.name);
          if (name) portNames.add(name);
        }
      }
    }
    const out: Violation[] = [];
    list(dig(o, "spec", "ports")).forEach((p, i) => {
      const target = text(record(p)?.targetPort);
      if (target !== undefined && !/^\d+$/.test(target) && !portNames.has(target)) {
        out.push({
          path: `spec.ports[${i}].targetPort`,
          message: `targetPort ${quoted(target)} is not a port of the selected pods`,
        });
      }
    });
    return out;
  },
  examples: {
    pass: [deployment(), service()],
    fail: [deployment(), service("web", { "app.kubernetes.io/name": "wbe" })],
    expect: {
      object: "Service/shop/web",
      path: "spec.selector",
      message: 'selector {"app.kubernetes.io/name":"wbe"} matches no workload',
    },
  },
});
