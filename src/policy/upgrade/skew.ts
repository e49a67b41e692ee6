/**
 * Node and control-plane version skew, as the Kubernetes version skew policy states it: a kubelet
 * must not be newer than the API server and may be at most three minor versions older (since
 * v1.28; two before). Pure: the cluster adapter feeds it versions through `ClusterVersions`.
 *
 * "Left behind" names what a rolling node upgrade leaves: nodes still on an older minor than the
 * control plane. They work within the skew window, but the next control-plane upgrade may push
 * them out of it, which is what `target` checks.
 */
import { compareMinor, formatMinor, type KubeVersion, parseKubeVersion } from "./versions.ts";

/** The capability the cluster adapter implements; nothing here calls it. */
export interface ClusterVersions {
  serverVersion(): Promise<string>;
  nodeVersions(): Promise<readonly NodeVersion[]>;
}

export interface NodeVersion {
  readonly name: string;
  /** `status.nodeInfo.kubeletVersion`, e.g. `v1.31.4`. */
  readonly kubeletVersion: string;
}

export const NodeSkewStatus = {
  Current: "current",
  Behind: "behind",
  Unsupported: "unsupported",
  Newer: "newer",
  Unknown: "unknown",
} as const;
export type NodeSkewStatus = (typeof NodeSkewStatus)[keyof typeof NodeSkewStatus];

export interface NodeSkew {
  readonly name: string;
  readonly kubeletVersion: string;
  /** Minor versions the kubelet is behind the API server (negative when newer). */
  readonly minorsBehind: number | undefined;
  readonly status: NodeSkewStatus;
  /** For a target: would this node be outside the skew window after the control plane moves? */
  readonly blocksTarget: boolean;
  readonly message: string;
}

export interface SkewReport {
  readonly serverVersion: string;
  readonly target?: string;
  readonly nodes: readonly NodeSkew[];
  /** True when every node is within the policy now (and after the target upgrade, if given). */
  readonly ok: boolean;
}

export function maxKubeletSkew(server: KubeVersion): number {
  return server.major === 1 && server.minor < 28 ? 2 : 3;
}

export function checkSkew(
  serverVersion: string,
  nodes: readonly NodeVersion[],
  options: { target?: string } = {},
): SkewReport {
  const server = parseKubeVersion(serverVersion);
  const target = options.target === undefined ? undefined : parseKubeVersion(options.target);
  const results = nodes.map((n) => nodeSkew(n, server, target));
  return {
    serverVersion,
    ...(options.target === undefined ? {} : { target: options.target }),
    nodes: results,
    ok: results.every((r) => (r.status === "current" || r.status === "behind") && !r.blocksTarget),
  };
}

function nodeSkew(
  node: NodeVersion,
  server: KubeVersion | undefined,
  target: KubeVersion | undefined,
): NodeSkew {
  const kubelet = parseKubeVersion(node.kubeletVersion);
  const base = { name: node.name, kubeletVersion: node.kubeletVersion };
  if (!kubelet || !server) {
    return {
      ...base,
      minorsBehind: undefined,
      status: "unknown",
      blocksTarget: false,
      message: "version cannot be read",
    };
  }
  const behind = -compareMinor(kubelet, server);
  const limit = maxKubeletSkew(server);
  const blocksTarget = target !== undefined && -compareMinor(kubelet, target) > maxKubeletSkew(target);
  const suffix = blocksTarget
    ? `; upgrade this node before the control plane moves to ${formatMinor(target)}`
    : "";
  if (behind < 0) {
    return {
      ...base,
      minorsBehind: behind,
      status: "newer",
      blocksTarget,
      message: `kubelet is newer than the API server ${formatMinor(server)} (unsupported)${suffix}`,
    };
  }
  if (behind > limit) {
    return {
      ...base,
      minorsBehind: behind,
      status: "unsupported",
      blocksTarget,
      message: `kubelet is ${behind} minor versions behind the API server; at most ${limit} are supported${suffix}`,
    };
  }
  if (behind > 0) {
    return {
      ...base,
      minorsBehind: behind,
      status: "behind",
      blocksTarget,
      message: `left behind: kubelet ${formatMinor(kubelet)} under API server ${formatMinor(server)}${suffix}`,
    };
  }
  return {
    ...base,
    minorsBehind: 0,
    status: "current",
    blocksTarget,
    message: `matches the API server${suffix}`,
  };
}

/** Reads versions through the adapter and judges them; the only call that does I/O, via `source`. */
export async function skewOf(
  source: ClusterVersions,
  options: { target?: string } = {},
): Promise<SkewReport> {
  const [server, nodes] = await Promise.all([source.serverVersion(), source.nodeVersions()]);
  return checkSkew(server, nodes, options);
}
