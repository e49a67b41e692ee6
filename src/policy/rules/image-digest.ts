import { text } from "../access.ts";
import { changed, deployment, firstContainer } from "../fixtures.ts";
import { parseImage } from "../image-ref.ts";
import { defineRule, perContainer, quoted } from "../rule-kit.ts";
import { podTemplateKinds } from "../workload.ts";

export const imageDigest = defineRule({
  id: "image-digest",
  title: "Images are pinned by digest",
  rationale:
    "Tags can be re-pushed; only a digest guarantees that what was scanned and promoted is what runs. Slipway promotes releases by digest for this reason.",
  severity: "warning",
  hint: "Append the digest to the image: `repo:1.4.2@sha256:…` (Slipway renders releases this way).",
  kinds: podTemplateKinds,
  check: (o) =>
    perContainer(o, "all", (c) => {
      const image = text(c.container.image);
      return image !== undefined && parseImage(image).digest === undefined
        ? {
            path: `${c.path}.image`,
            message: `container ${quoted(c.name)} image ${quoted(image)} is not pinned by digest`,
          }
        : undefined;
    }),
  examples: {
    pass: [deployment()],
    fail: [
      changed(deployment(), (d) => {
        firstContainer(d).image = "registry.example.com/shop/web:1.4.2";
      }),
    ],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.containers[0].image",
      message: 'container "app" image "registry.example.com/shop/web:1.4.2" is not pinned by digest',
    },
  },
});
