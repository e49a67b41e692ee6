/**
 * The promotion gates' live view (`delivery/live-health.ts`) on the platform in use: a channel on a
 * kubeconfig cluster is read from that cluster, in the namespace the channel's pattern gives the
 * app, through the same kept connection the engine deploys with; a channel on a GitOps directory
 * has no live view and says so.
 */
import { ErrorCode, isSlipwayError, SlipwayError } from "../core/errors.ts";
import type { ChannelHealth, ChannelHealthQuery, LiveHealth } from "../delivery/live-health.ts";
import { resolveTarget } from "../render/target.ts";
import type { LoadedPlatform } from "../spec/parse.ts";
import { type ClusterContext, connectedCluster } from "./deploy-targets.ts";

/**
 * How long a cluster that did not answer a read in time (or could not be reached) is not asked
 * again. The promoter reads one app after the other, and a status asks for every channel: without
 * this, each app's gate would wait out the read deadline again on a cluster that is down.
 */
export const UNANSWERED_QUIET_MS = 30_000;

export function platformLiveHealth(options: {
  readonly platform: () => LoadedPlatform;
  readonly context: ClusterContext;
  /** The read's deadline; default `LIVE_HEALTH_TIMEOUT_MS` (10 s). */
  readonly readTimeoutMs?: number;
}): LiveHealth {
  // Per cluster (by name and how it is reached): the last read that got no answer, and when.
  const unanswered = new Map<string, { readonly at: number; readonly error: string }>();
  return {
    channelHealth: async (query: ChannelHealthQuery): Promise<ChannelHealth> => {
      const platform = options.platform();
      const channel = platform.platform.channels.find((c) => c.name === query.channel);
      if (channel === undefined) {
        throw new SlipwayError(ErrorCode.Input, `"${query.channel}" is not a channel of the platform`);
      }
      const cluster = platform.platform.clusters.find((c) => c.name === channel.cluster);
      if (cluster?.gitops !== undefined) {
        return { source: "recorded", where: `GitOps directory ${cluster.gitops.directory}` };
      }
      const namespace = resolveTarget(query.channel, platform.platform, {
        name: query.app,
        team: query.team,
      }).namespace;
      const where = `cluster ${channel.cluster}, namespace ${namespace}`;
      const key = `${channel.cluster}\n${JSON.stringify(cluster?.kubeconfig ?? null)}`;
      const last = unanswered.get(key);
      const now = Date.now();
      if (last !== undefined && now - last.at < UNANSWERED_QUIET_MS) {
        // The error names only the cluster (its address and the request), never the app it was for.
        const ago = Math.round((now - last.at) / 1000);
        const left = Math.ceil((UNANSWERED_QUIET_MS - (now - last.at)) / 1000);
        return {
          source: "unreadable",
          where,
          error: `${last.error}; not asked again for ${left} s (cluster ${channel.cluster} did not answer a read ${ago} s ago)`,
        };
      }
      try {
        const kube = await connectedCluster(platform, channel.cluster, options.context);
        const workloads = await kube.workloadHealth(
          { namespace, app: query.app, target: query.channel },
          options.readTimeoutMs,
        );
        unanswered.delete(key);
        return { source: "live", where, workloads };
      } catch (error) {
        // Unreachable, forbidden, a kubeconfig without its context, an answer that is not the
        // API's (a proxy's page, an http:// server): the gate cannot tell, and says why. Thrown
        // on, it would fail the whole status and end the promoter's pass for every app after it.
        if (!isSlipwayError(error)) {
          const said = error instanceof Error ? error.message : String(error);
          return { source: "unreadable", where, error: `the cluster could not be read: ${said}` };
        }
        if (error.code === ErrorCode.Deadline || error.code === ErrorCode.Unavailable) {
          unanswered.set(key, { at: Date.now(), error: withoutNamespace(error.message, namespace) });
        }
        return { source: "unreadable", where, error: error.message };
      }
    },
  };
}

/** An error kept for other apps' reads: their namespace is not this one's to show. */
function withoutNamespace(message: string, namespace: string): string {
  return message.split(namespace).join("…");
}
