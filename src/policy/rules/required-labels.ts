import { changed, service } from "../fixtures.ts";
import { anyKind } from "../kinds.ts";
import { defineRule, none, quoted } from "../rule-kit.ts";
import type { Violation } from "../types.ts";

export const requiredLabels = defineRule({
  id: "required-labels",
  title: "Required platform labels are present",
  rationale:
    "Cost, ownership and alert routing are computed from labels; an object without them belongs to nobody and is billed to nobody.",
  severity: "error",
  hint: "Add the labels the platform file lists under policy.requiredLabels to metadata.labels.",
  kinds: [anyKind],
  check: (o, { context }) => {
    if (context.requiredLabels.length === 0) return none;
    const labels = o.metadata.labels ?? {};
    const out: Violation[] = [];
    for (const label of context.requiredLabels) {
      if (!Object.hasOwn(labels, label))
        out.push({ path: "metadata.labels", message: `required label ${quoted(label)} is missing` });
    }
    return out;
  },
  examples: {
    context: { requiredLabels: ["team", "app.kubernetes.io/name"] },
    pass: [service()],
    fail: [changed(service(), (s) => void delete s.metadata.labels?.team)],
    expect: {
      object: "Service/shop/web",
      path: "metadata.labels",
      message: 'required label "team" is missing',
    },
  },
});
