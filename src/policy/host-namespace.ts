/** The three host-namespace rules differ only in the field; they share this shape. */
import { changed, deployment, podSpecOf } from "./fixtures.ts";
import { defineRule, none } from "./rule-kit.ts";
import type { Rule } from "./types.ts";
import { podTemplateKinds, podTemplateOf } from "./workload.ts";

export function hostNamespaceRule(options: {
  id: string;
  field: "hostNetwork" | "hostPID" | "hostIPC";
  what: string;
  rationale: string;
}): Rule {
  const { id, field, what, rationale } = options;
  return defineRule({
    id,
    title: `No ${field}`,
    rationale,
    severity: "error",
    hint: `Remove ${field}: true from the pod spec.`,
    kinds: podTemplateKinds,
    check: (o) => {
      const pod = podTemplateOf(o);
      return pod?.spec[field] === true
        ? [{ path: `${pod.path}.${field}`, message: `pod shares the host's ${what}` }]
        : none;
    },
    examples: {
      pass: [deployment()],
      fail: [
        changed(deployment(), (d) => {
          podSpecOf(d)[field] = true;
        }),
      ],
      expect: {
        object: "Deployment/shop/web",
        path: `spec.template.spec.${field}`,
        message: `pod shares the host's ${what}`,
      },
    },
  });
}
