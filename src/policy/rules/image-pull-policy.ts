import { text } from "../access.ts";
import { changed, deployment, firstContainer } from "../fixtures.ts";
import { isMutableLatest, parseImage } from "../image-ref.ts";
import { defineRule, perContainer, quoted } from "../rule-kit.ts";
import { podTemplateKinds } from "../workload.ts";

export const imagePullPolicy = defineRule({
  id: "image-pull-policy",
  title: "The image pull policy fits the reference",
  rationale:
    "`Never` makes a pod depend on what happens to be cached on its node; `IfNotPresent` with a mutable tag runs a different image on each node.",
  severity: "warning",
  hint: "Use IfNotPresent with a digest or version tag; Always only for mutable tags; never Never.",
  kinds: podTemplateKinds,
  check: (o) =>
    perContainer(o, "all", (c) => {
      const policy = text(c.container.imagePullPolicy);
      const image = text(c.container.image) ?? "";
      const path = `${c.path}.imagePullPolicy`;
      if (policy === "Never") return { path, message: `container ${quoted(c.name)} never pulls its image` };
      if (policy === "IfNotPresent" && isMutableLatest(parseImage(image))) {
        return {
          path,
          message: `container ${quoted(c.name)} pulls the mutable image ${quoted(image)} only if not present`,
        };
      }
      return undefined;
    }),
  examples: {
    pass: [deployment()],
    fail: [
      changed(deployment(), (d) => {
        firstContainer(d).imagePullPolicy = "Never";
      }),
    ],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.containers[0].imagePullPolicy",
      message: 'container "app" never pulls its image',
    },
  },
});
