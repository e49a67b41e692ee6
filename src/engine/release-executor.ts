/**
 * The engine's executor in the server: a deployment runs the one deployment use case
 * (`delivery/deploy.ts`) on the release's stored snapshot — the spec and secret files exactly as
 * they were at the release's commit — with the platform the server is on now.
 *
 * Applying twice is harmless by construction, which is what lets a successor re-run a job whose
 * predecessor died after recording `applying` (ADR 0010): the objects are the same (the same
 * snapshot, digest and release id render the same), a cluster's server-side apply of unchanged
 * objects writes nothing, and a GitOps commit of unchanged files is no commit.
 */
import { isSlipwayError } from "../core/errors.ts";
import type { DeployPorts, DeployRecorder } from "../delivery/deploy.ts";
import { deployRelease } from "../delivery/deploy.ts";
import { DEFAULT_DEPLOY_TIMEOUTS } from "../delivery/deploy-target.ts";
import { loadReleaseSnapshot, readSnapshotFile, SNAPSHOT_SPEC } from "../delivery/release-snapshot.ts";
import type { Rule } from "../policy/types.ts";
import { durationSeconds } from "../spec/common-schema.ts";
import type { LoadedPlatform } from "../spec/parse.ts";
import type { Store } from "../store/store.ts";
import type { Executor, Stage } from "./executor.ts";

export interface ReleaseExecutorDeps {
  readonly store: Pick<Store, "getRelease" | "getApp" | "getReleaseSnapshot">;
  /** The platform in use now (it may have been reloaded since the release was made). */
  readonly platform: () => { readonly platform: LoadedPlatform; readonly customRules: readonly Rule[] };
  /** Where each platform cluster's objects go, and the key ring narrowed to the app's team. */
  readonly ports: Pick<DeployPorts, "target" | "keys">;
}

export function releaseExecutor(deps: ReleaseExecutorDeps): Executor {
  return async (job) => {
    const release = await deps.store.getRelease(job.deployment.releaseId);
    const app = await deps.store.getApp(release.appName);
    const snapshot = await loadReleaseSnapshot(deps.store, release.id);
    const { platform, customRules } = deps.platform();
    // A channel may ask for a failed rollout to be undone by itself; only a cluster can follow one.
    const channel = platform.platform.channels.find((c) => c.name === job.deployment.targetName);
    const cluster = platform.platform.clusters.find((c) => c.name === channel?.cluster);
    const rollbackOnFailure = channel?.rollbackOnFailure === true && cluster?.kubeconfig !== undefined;
    let last = "";
    let stage: Stage = "rendering";
    let rolledBack: string | undefined;
    const recorder: DeployRecorder = {
      record: async ({ status, message }) => {
        last = message;
        // The final state is the engine's to record, from what this returns or throws.
        if (status === "available" || status === "failed") return;
        stage = status;
        await job.record(status, message);
      },
    };
    // The platform file's deadlines (deploy:), as a deploy from the CLI has them.
    const deadlines = platform.platform.deploy;
    const timeouts = {
      applyMs:
        deadlines?.applyTimeout === undefined
          ? DEFAULT_DEPLOY_TIMEOUTS.applyMs
          : durationSeconds(deadlines.applyTimeout) * 1000,
      rolloutMs:
        deadlines?.rolloutTimeout === undefined
          ? DEFAULT_DEPLOY_TIMEOUTS.rolloutMs
          : durationSeconds(deadlines.rolloutTimeout) * 1000,
    };
    try {
      const outcome = await deployRelease(
        {
          app: {
            spec: { text: snapshot.specText, file: `${release.commitSha.slice(0, 12)}:${SNAPSHOT_SPEC}` },
            files: { read: async (file) => readSnapshotFile(snapshot, file) },
          },
          platform,
          customRules,
          target: job.deployment.targetName,
          image: release.imageDigest,
          release: { commit: release.commitSha, id: release.id },
          team: app.teamName,
        },
        { prune: true, wait: true, timeouts, ...(rollbackOnFailure ? { rollbackOnFailure: true } : {}) },
        {
          ...deps.ports,
          recorder,
          progress: (event) => {
            if (event.type === "rollback") rolledBack = event.reason;
            // What the target answers while it is retried reaches the event stream, as a
            // message of the stage the deployment is in (the notices come every few seconds).
            if (event.type === "waiting") {
              const text = event.over ? event.text : `waiting: ${event.text}`;
              job.record(stage, `${last}; ${text}`).catch(() => {});
            }
          },
        },
      );
      return {
        status: "available",
        message: outcome.status === "available" ? last : `${last} (not followed further)`,
      };
    } catch (error) {
      // The target put the previous revision back after the rollout failed: recorded as such.
      if (rolledBack !== undefined && isSlipwayError(error)) {
        return { status: "rolled-back", message: `${rolledBack}; the previous revision is back` };
      }
      throw error;
    }
  };
}
