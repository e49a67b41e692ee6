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

export function platformLiveHealth(options: {
  readonly platform: () => LoadedPlatform;
  readonly context: ClusterContext;
}): LiveHealth {
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
      try {
        const kube = await connectedCluster(platform, channel.cluster, options.context);
        const workloads = await kube.workloadHealth({ namespace, app: query.app, target: query.channel });
        return { source: "live", where, workloads };
      } catch (error) {
        // Unreachable, forbidden, a kubeconfig without its context: the gate cannot tell, and says why.
        if (!isSlipwayError(error)) throw error;
        return { source: "unreadable", where, error: error.message };
      }
    },
  };
}
