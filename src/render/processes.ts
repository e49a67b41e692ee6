/**
 * The app's processes besides the main one (`processes:`): each a Deployment — or, with
 * `kind: stateful`, a StatefulSet with a claim per replica — with its own Service (when it has
 * exposed ports), autoscaler, disruption budget and NetworkPolicy. A process without ports or
 * probes, a queue worker, is as much a process as a web server.
 */
import type { KubeObject } from "../core/kube-object.ts";
import type { AppSpec } from "../spec/app-schema.ts";
import { metadata, type RenderContext } from "./context.ts";
import { networkPolicy, service } from "./network.ts";
import { inPart, partContext } from "./parts.ts";
import { deployment, mainPart, podTemplate } from "./pod.ts";
import { autoscaler, disruptionBudget } from "./scaling.ts";

type Process = NonNullable<AppSpec["processes"]>[string];
type VolumeClaim = NonNullable<Process["volumeClaims"]>[number];
type Container = { name: string; volumeMounts?: unknown[] };

export function processObjects(ctx: RenderContext, checksum: string): KubeObject[] {
  return Object.entries(ctx.spec.processes ?? {}).flatMap(([name, p]) =>
    inPart(`processes.${name}`, () => {
      const pctx = partContext(ctx, name, p);
      if (p.kind === "stateful") {
        const hpa = autoscaler(pctx);
        if (hpa) (hpa.spec as { scaleTargetRef: { kind: string } }).scaleTargetRef.kind = "StatefulSet";
        return present([
          headlessService(pctx),
          statefulSet(pctx, checksum, p.volumeClaims ?? []),
          hpa,
          disruptionBudget(pctx),
          networkPolicy(pctx),
        ]);
      }
      return present([
        service(pctx),
        deployment(pctx, checksum),
        autoscaler(pctx),
        disruptionBudget(pctx),
        networkPolicy(pctx),
      ]);
    }),
  );
}

function present(objects: (KubeObject | undefined)[]): KubeObject[] {
  return objects.filter((o): o is KubeObject => o !== undefined);
}

/** The governing Service a StatefulSet needs: stable DNS names per pod (`<pod>.<service>`). */
function headlessService(ctx: RenderContext): KubeObject {
  const ports = (ctx.spec.ports ?? []).filter((p) => p.expose !== false);
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(ctx, ctx.names.app),
    spec: {
      clusterIP: "None",
      selector: { ...ctx.labels.selector },
      ...(ports.length
        ? {
            ports: ports.map((p) => ({
              name: p.name,
              port: p.port,
              targetPort: p.name,
              protocol: p.protocol ?? "TCP",
            })),
          }
        : {}),
    },
  };
}

function statefulSet(ctx: RenderContext, checksum: string, claims: readonly VolumeClaim[]): KubeObject {
  const { spec } = ctx;
  const template = podTemplate(ctx, mainPart(ctx), checksum) as { spec: { containers: Container[] } };
  const main = template.spec.containers.find((c) => c.name === ctx.names.app);
  if (main && claims.length) {
    main.volumeMounts = [
      ...(main.volumeMounts ?? []),
      ...claims.map((c) => ({ name: c.name, mountPath: c.mountPath })),
    ];
  }
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: metadata(ctx, ctx.names.app, spec.annotations),
    spec: {
      ...(spec.autoscaling ? {} : { replicas: spec.replicas ?? 1 }),
      serviceName: ctx.names.app,
      revisionHistoryLimit: spec.rollout?.revisionHistoryLimit ?? 5,
      ...(spec.rollout?.minReadySeconds !== undefined
        ? { minReadySeconds: spec.rollout.minReadySeconds }
        : {}),
      selector: { matchLabels: { ...ctx.labels.selector } },
      updateStrategy: { type: "RollingUpdate" },
      // Claims hold data: neither scaling down nor deleting the StatefulSet removes them.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      template,
      ...(claims.length
        ? {
            volumeClaimTemplates: claims.map((c) => ({
              metadata: { name: c.name, labels: { ...ctx.labels.selector } },
              spec: {
                accessModes: c.accessModes ?? ["ReadWriteOnce"],
                ...(c.storageClass ? { storageClassName: c.storageClass } : {}),
                resources: { requests: { storage: c.size } },
              },
            })),
          }
        : {}),
    },
  };
}
