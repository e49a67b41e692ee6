/**
 * Deploy-time Jobs (`jobs:`), e.g. database migrations: `pre-deploy` runs to completion before the
 * new pods roll, `post-deploy` after they are available.
 *
 * A Job is named `<app>--<job>-<hash>`, the hash of everything it runs (image, command, env, config
 * checksum, release label): a re-deploy of the same release finds its Job completed under the same
 * name and does not run it again, and a new release gets a new Job (a Job's pod template cannot
 * be changed in place anyway). Jobs are kept after they finish — pruned when a later render no
 * longer has them — since a finished Job is the record that it ran.
 *
 * For GitOps targets the order is Argo CD's sync waves: the configuration a pre-deploy Job reads
 * (ServiceAccount, ConfigMap, Secrets …) in wave -2, pre-deploy Jobs in wave -1, the workloads in
 * wave 0, post-deploy Jobs in wave 1; Argo CD waits for each wave to be healthy (a Job: complete)
 * before the next. Waves, not PreSync/PostSync hooks: a hook runs again on every sync, a Job named
 * by its hash runs once.
 */
import { createHash } from "node:crypto";
import { DEPLOY_PHASE_ANNOTATION, DeployPhase } from "../core/deploy-phase.ts";
import type { KubeObject } from "../core/kube-object.ts";
import { batchContext, batchPodTemplate } from "./batch.ts";
import { metadata, type RenderContext } from "./context.ts";
import { LABEL } from "./labels.ts";
import { networkPolicy } from "./network.ts";
import { inPart, partObjectName } from "./parts.ts";

export const SYNC_WAVE_ANNOTATION = "argocd.argoproj.io/sync-wave";
/**
 * The hash of what a Job runs but its image. The name's hash is that of this and the image, so an
 * exported Helm chart, whose `--set image=…` swaps the image, names the Job anew as Slipway would
 * (helm-chart.ts): a Job's pod template cannot change in place.
 */
export const JOB_SHAPE_ANNOTATION = "slipway.dev/job-shape";
export const JOB_NAME_HASH_LENGTH = 8;
const HASH_LENGTH = JOB_NAME_HASH_LENGTH;
/** A Job's name is also a label value of its pods (`job-name`): at most 63 characters. */
const JOB_NAME_MAX = 63 - HASH_LENGTH - 1;
/** What a pre-deploy Job reads goes in a wave before it. */
const CONFIG_KINDS = new Set([
  // A preview's namespace, and cluster-wide RBAC, are read before any pod of the app runs.
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "ServiceAccount",
  "ConfigMap",
  "Secret",
  "Role",
  "RoleBinding",
  "PersistentVolumeClaim",
  "NetworkPolicy",
]);

export function hookJobObjects(ctx: RenderContext, checksum: string): KubeObject[] {
  return Object.entries(ctx.spec.jobs ?? {}).flatMap(([name, j]) =>
    inPart(`jobs.${name}`, () => {
      const base = partObjectName(ctx.spec.name, name, JOB_NAME_MAX);
      const jctx = batchContext(ctx, name, j, base);
      const spec = {
        backoffLimit: j.retries ?? 0,
        activeDeadlineSeconds: j.timeoutSeconds ?? 600,
        template: batchPodTemplate(jctx, checksum),
      };
      const { shape, hash } = jobHash(spec, ctx.image.reference, ctx.labels.common[LABEL.version]);
      const annotations = {
        ...ctx.spec.annotations,
        [JOB_SHAPE_ANNOTATION]: shape,
        [DEPLOY_PHASE_ANNOTATION]: j.when,
        [SYNC_WAVE_ANNOTATION]: j.when === DeployPhase.Pre ? "-1" : "1",
      };
      const job: KubeObject = {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: metadata(jctx, `${base}-${hash}`, annotations),
        spec,
      };
      return [job, networkPolicy(jctx)].filter((o): o is KubeObject => o !== undefined);
    }),
  );
}

/**
 * `shape`: what the Job runs with its image left out (and the version label, which is read off the
 * image); `hash`: the name's, of the shape and the image.
 */
export function jobHash(
  spec: unknown,
  image: string,
  version: string | undefined,
): { shape: string; hash: string } {
  let text = JSON.stringify(spec).split(JSON.stringify(image)).join('"<image>"');
  if (version !== undefined) {
    const label = (v: string) => `${JSON.stringify(LABEL.version)}:${JSON.stringify(v)}`;
    text = text.split(label(version)).join(label("<version>"));
  }
  const shape = createHash("sha256").update(text).digest("hex");
  return { shape, hash: createHash("sha256").update(`${shape}${image}`).digest("hex").slice(0, HASH_LENGTH) };
}

/** With a pre-deploy Job, what it reads is applied in an earlier sync wave (see above). */
export function orderForPreDeployJobs(objects: readonly KubeObject[]): KubeObject[] {
  const pre = objects.some((o) => o.metadata.annotations?.[DEPLOY_PHASE_ANNOTATION] === DeployPhase.Pre);
  if (!pre) return [...objects];
  return objects.map((o) =>
    CONFIG_KINDS.has(o.kind) && o.metadata.annotations?.[SYNC_WAVE_ANNOTATION] === undefined
      ? {
          ...o,
          metadata: {
            ...o.metadata,
            annotations: { ...o.metadata.annotations, [SYNC_WAVE_ANNOTATION]: "-2" },
          },
        }
      : o,
  );
}
