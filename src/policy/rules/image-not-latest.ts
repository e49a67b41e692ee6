import { text } from "../access.ts";
import { changed, deployment, firstContainer } from "../fixtures.ts";
import { isMutableLatest, parseImage } from "../image-ref.ts";
import { defineRule, perContainer, quoted } from "../rule-kit.ts";
import { podTemplateKinds } from "../workload.ts";

export const imageNotLatest = defineRule({
  id: "image-not-latest",
  title: "Images are not `latest` or untagged",
  rationale:
    "`latest` (or no tag) names whatever was pushed last: two nodes can run different code under one release, and a rollback brings back nothing.",
  severity: "error",
  hint: "Reference the image by an immutable version tag and, better, its digest (`repo:1.4.2@sha256:…`).",
  kinds: podTemplateKinds,
  check: (o) =>
    perContainer(o, "all", (c) => {
      const image = text(c.container.image);
      if (image === undefined) {
        return { path: `${c.path}.image`, message: `container ${quoted(c.name)} has no image` };
      }
      return isMutableLatest(parseImage(image))
        ? {
            path: `${c.path}.image`,
            message: `container ${quoted(c.name)} uses the mutable image ${quoted(image)}`,
          }
        : undefined;
    }),
  examples: {
    pass: [deployment()],
    fail: [
      changed(deployment(), (d) => {
        firstContainer(d).image = "nginx:latest";
      }),
    ],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.containers[0].image",
      message: 'container "app" uses the mutable image "nginx:latest"',
    },
  },
});
