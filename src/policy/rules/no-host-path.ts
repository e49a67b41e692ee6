import { list, record } from "../access.ts";
import { changed, deployment, podSpecOf } from "../fixtures.ts";
import { defineRule, none, quoted } from "../rule-kit.ts";
import type { Violation } from "../types.ts";
import { podTemplateKinds, podTemplateOf } from "../workload.ts";

export const noHostPath = defineRule({
  id: "no-host-path",
  title: "No hostPath volumes",
  rationale:
    "A hostPath volume mounts the node's filesystem into the pod: the container runtime socket or /etc are one mount away from owning the node.",
  severity: "error",
  hint: "Use an emptyDir, a ConfigMap/Secret, or a PersistentVolumeClaim instead of hostPath.",
  kinds: podTemplateKinds,
  check: (o) => {
    const pod = podTemplateOf(o);
    if (!pod) return none;
    const out: Violation[] = [];
    list(pod.spec.volumes).forEach((v, i) => {
      const volume = record(v);
      if (volume?.hostPath !== undefined) {
        const name = typeof volume.name === "string" ? volume.name : `#${i}`;
        out.push({
          path: `${pod.path}.volumes[${i}].hostPath`,
          message: `volume ${quoted(name)} mounts a host path`,
        });
      }
    });
    return out;
  },
  examples: {
    pass: [deployment()],
    fail: [
      changed(deployment(), (d) => {
        podSpecOf(d).volumes = [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }];
      }),
    ],
    expect: {
      object: "Deployment/shop/web",
      path: "spec.template.spec.volumes[0].hostPath",
      message: 'volume "docker" mounts a host path',
    },
  },
});
