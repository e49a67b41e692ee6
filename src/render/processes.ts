/**
 * The app's processes besides the main one (`processes:`): each a Deployment — or, with
 * `kind: stateful`, a StatefulSet with a claim per replica — with its own Service (when it has
 * exposed ports), autoscaler, disruption budget and NetworkPolicy. A process without ports or
 * probes, a queue worker, is as much a process as a web server.
 */
import type { KubeObject } from "../core/kube-object.ts";
import type { AppSpec } from "../spec/app-schema.ts";
import { metadata, type RenderContext, RenderProblem, RenderProblems } from "./context.ts";
import { networkPolicy, service } from "./network.ts";
import { inPart, partContext } from "./parts.ts";
import { deployment, mainPart, podTemplate } from "./pod.ts";
import { autoscaler, disruptionBudget } from "./scaling.ts";

type Process = NonNullable<AppSpec["processes"]>[string];
type VolumeClaim = NonNullable<Process["volumeClaims"]>[number];
type Mount = { name: string; mountPath: string; readOnly?: boolean };
type Container = { name: string; volumeMounts?: Mount[] };

export function processObjects(ctx: RenderContext, checksum: string): KubeObject[] {
  return Object.entries(ctx.spec.processes ?? {}).flatMap(([name, p]) =>
    inPart(`processes.${name}`, () => {
      const pctx = partContext(ctx, name, p);
      if (p.kind === "stateful") {
        const hpa = autoscaler(pctx);
        if (hpa) (hpa.spec as { scaleTargetRef: { kind: string } }).scaleTargetRef.kind = "StatefulSet";
        return present([
          headlessService(pctx),
          statefulSet(pctx, checksum, p.volumeClaims ?? [], `processes.${name}.volumeClaims`),
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

function statefulSet(
  ctx: RenderContext,
  checksum: string,
  claims: readonly VolumeClaim[],
  field: string,
): KubeObject {
  const { spec } = ctx;
  const template = podTemplate(ctx, mainPart(ctx), checksum) as {
    spec: { containers: Container[]; volumes?: { name: string }[] };
  };
  const main = template.spec.containers.find((c) => c.name === ctx.names.app);
  claimProblems(claims, template.spec.volumes ?? [], main?.volumeMounts ?? [], field);
  unplacedRollout(spec.rollout, field.replace(/\.volumeClaims$/, ".rollout"));
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

/**
 * A claim the pod template cannot take: the API server refuses two mounts on one path, and a
 * claim named like one of the pod's volumes silently takes that volume's place in every pod.
 */
function claimProblems(
  claims: readonly VolumeClaim[],
  volumes: readonly { name: string }[],
  mounts: readonly Mount[],
  field: string,
): void {
  const problems: RenderProblem[] = [];
  const trim = (p: string) => p.replace(/\/+$/, "") || "/";
  claims.forEach((c, i) => {
    if (volumes.some((v) => v.name === c.name))
      problems.push(
        new RenderProblem(
          `${field}[${i}].name`,
          `\`${c.name}\` is already the name of a volume of the pod (volumes:); give the claim another name`,
        ),
      );
    const path = trim(c.mountPath);
    const taken = mounts.find((m) => trim(m.mountPath) === path);
    const sealed = mounts.find((m) => m.readOnly === true && path.startsWith(`${trim(m.mountPath)}/`));
    if (taken)
      problems.push(
        new RenderProblem(
          `${field}[${i}].mountPath`,
          `\`${path}\` is already mounted (volume \`${taken.name}\`)${path === "/tmp" ? ": /tmp is the pod's scratch emptyDir" : ""}; choose another path`,
        ),
      );
    else if (sealed)
      problems.push(
        new RenderProblem(
          `${field}[${i}].mountPath`,
          `\`${path}\` lies inside the read-only mount \`${sealed.mountPath}\` (volume \`${sealed.name}\`); mount it beside, not inside`,
        ),
      );
  });
  if (problems.length > 0) throw new RenderProblems(problems);
}

/**
 * A StatefulSet replaces its pods one at a time, in order: it has no surge, no progress deadline
 * and no Recreate. Such a field would be dropped without a word, so it is refused instead.
 */
function unplacedRollout(rollout: Process["rollout"], field: string): void {
  const unplaced = (["maxSurge", "maxUnavailable", "progressDeadlineSeconds", "strategy"] as const).filter(
    (key) => rollout?.[key] !== undefined,
  );
  if (unplaced.length === 0) return;
  throw new RenderProblems(
    unplaced.map(
      (key) =>
        new RenderProblem(
          `${field}.${key}`,
          `a stateful process (a StatefulSet) replaces its pods one at a time, in order, and has no ${key}; remove it (minReadySeconds and revisionHistoryLimit apply)`,
        ),
    ),
  );
}
