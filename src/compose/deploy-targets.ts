/**
 * From a platform's `clusters:` entry to the DeployTarget a deployment talks to: a GitOps
 * repository (`gitops.directory`, relative to the platform file) or a cluster through a kubeconfig
 * context (the cluster adapter is itself a DeployTarget). Both composition roots deploy through it
 * — the CLI's `deploy` and `diff`, and the server's engine — so a platform file means the same
 * destination to both. Adapters are constructed here and nowhere else but the roots; only the
 * roots import this folder (`test/support/layering.ts`).
 */
import { statSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { ALLOW_CREDENTIAL_PLUGINS_ENV } from "../cluster/cluster.ts";
import type { KubeCluster } from "../cluster/kube-cluster.ts";
import { ErrorCode, isSlipwayError, SlipwayError } from "../core/errors.ts";
import type { DeployTarget } from "../delivery/deploy-target.ts";
import type { KeyRing } from "../secrets/key-ring.ts";
import type { LoadedPlatform } from "../spec/parse.ts";

export interface TargetContext {
  /** What paths of a platform that came from no file are relative to. */
  readonly cwd: string;
  /** The key ring, built on first use (sealing Secrets for a GitOps repository). */
  readonly keys: () => KeyRing;
  /** `KUBECONFIG` and the credential-plugin switch, as the process has them. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Put the platform's cluster name and kubeconfig context in front of an error about reaching the
   * cluster. The server deploys to several clusters at once, so a failed deployment must say which
   * one is down; a CLI deploy talks to the one cluster its command named.
   */
  readonly nameCluster?: boolean;
  /** Connections to keep between deployments (the server's engine); without, one per call. */
  readonly connections?: ClusterConnections;
}

/**
 * A cluster's connection kept between deployments: its HTTPS connections, API discovery and the
 * limiter that keeps requests under the API server's flow control are made once per cluster, not
 * for every deployment (that was most of a promotion's time, and a hundred deployments at once
 * each had a limiter of their own). A kubeconfig that changed on disk (rotated credentials) gets
 * a new connection; a connection that failed is not kept.
 */
export class ClusterConnections {
  readonly #kept = new Map<string, { readonly stamp: string; readonly cluster: Promise<KubeCluster> }>();

  get(key: string, stamp: string, connect: () => Promise<KubeCluster>): Promise<KubeCluster> {
    const kept = this.#kept.get(key);
    if (kept !== undefined && kept.stamp === stamp) return kept.cluster;
    const cluster = connect();
    this.#kept.set(key, { stamp, cluster });
    cluster.catch(() => {
      if (this.#kept.get(key)?.cluster === cluster) this.#kept.delete(key);
    });
    return cluster;
  }
}

/** What the kubeconfig file (or $KUBECONFIG list) is now: a change means other credentials. */
function kubeconfigStamp(file: string | undefined): string {
  const files = file === undefined ? [join(homedir(), ".kube", "config")] : file.split(delimiter);
  return files
    .map((f) => {
      try {
        const s = statSync(f);
        return `${s.ino}:${s.mtimeMs}:${s.size}`;
      } catch {
        return "absent";
      }
    })
    .join(",");
}

export async function deployTargetFor(
  platform: LoadedPlatform,
  clusterName: string,
  context: TargetContext,
): Promise<DeployTarget> {
  const { cluster, base } = platformCluster(platform, clusterName, context.cwd);
  if (cluster.gitops !== undefined) {
    // Loaded on use: a server or a command that never deploys to a repository does not pay for it.
    const [{ GitOpsTarget }, { sopsSecretSealer }] = await Promise.all([
      import("../gitops/gitops-target.ts"),
      import("../delivery/sops-secret-sealer.ts"),
    ]);
    const { sops, remote, branch } = cluster.gitops;
    return new GitOpsTarget({
      dir: resolve(base, cluster.gitops.directory),
      // Without recipients there is no sealer, and a Secret with values is refused (ADR 0004).
      ...(sops === undefined
        ? {}
        : {
            sealer: sopsSecretSealer({
              recipients: sops.age.map((recipient) => ({ type: "age" as const, recipient })),
              keys: context.keys(),
            }),
          }),
      ...(remote === undefined ? {} : { url: remote }),
      ...(branch === undefined ? {} : { branch }),
    });
  }
  const connecting = connectKubeconfig(cluster, base, context);
  if (context.nameCluster !== true) return connecting;
  const named = (error: unknown) => namingCluster(error, clusterName, cluster.kubeconfig?.context ?? "");
  const target = await connecting.catch((error: unknown) => {
    throw named(error);
  });
  return {
    describe: () => target.describe(),
    undo: target.undo,
    plan: (request) =>
      target.plan(request).catch((error: unknown) => {
        throw named(error);
      }),
    apply: (request) =>
      target.apply(request).catch((error: unknown) => {
        throw named(error);
      }),
  };
}

type ClusterEntry = LoadedPlatform["platform"]["clusters"][number];

/**
 * The platform's cluster of that name, and the directory its relative paths (kubeconfig, GitOps
 * directory) are read from: the platform file's, so the same file works from any working directory.
 */
function platformCluster(
  platform: LoadedPlatform,
  clusterName: string,
  cwd: string,
): { cluster: ClusterEntry; base: string } {
  const cluster = platform.platform.clusters.find((c) => c.name === clusterName);
  if (cluster === undefined) {
    throw new SlipwayError(
      ErrorCode.PlatformInvalid,
      `the platform names no cluster \`${clusterName}\`; add it under clusters: in the platform file`,
    );
  }
  const base = platform.source === undefined ? cwd : dirname(resolve(cwd, platform.source.file));
  return { cluster, base };
}
export type ClusterContext = Pick<TargetContext, "cwd" | "env" | "connections">;

/**
 * The connection to a platform cluster reached through a kubeconfig context, for what reads the
 * cluster beside deployments (the promotion gates' live view); errors reaching it name the cluster.
 */
export async function connectedCluster(
  platform: LoadedPlatform,
  clusterName: string,
  context: ClusterContext,
): Promise<KubeCluster> {
  const { cluster, base } = platformCluster(platform, clusterName, context.cwd);
  return connectKubeconfig(cluster, base, context).catch((error: unknown) => {
    throw namingCluster(error, clusterName, cluster.kubeconfig?.context ?? "");
  });
}

async function connectKubeconfig(
  cluster: ClusterEntry,
  base: string,
  context: ClusterContext,
): Promise<KubeCluster> {
  const kubeconfig = cluster.kubeconfig;
  if (kubeconfig === undefined) {
    throw new SlipwayError(
      ErrorCode.PlatformInvalid,
      cluster.gitops === undefined
        ? `cluster \`${cluster.name}\` has neither kubeconfig nor gitops`
        : `cluster \`${cluster.name}\` is a GitOps directory: there is no kubeconfig to connect with`,
    );
  }
  // An explicit path is relative to the platform file; otherwise $KUBECONFIG or ~/.kube/config, as kubectl does.
  const file = kubeconfig.path === undefined ? context.env.KUBECONFIG : resolve(base, kubeconfig.path);
  // Loaded here, not at the top: the Kubernetes client costs about a second to import, and every
  // other command (and every GitOps deploy) would pay it at start-up.
  const { KubeCluster } = await import("../cluster/kube-cluster.ts");
  const allow = context.env[ALLOW_CREDENTIAL_PLUGINS_ENV];
  const connect = () =>
    KubeCluster.connect({
      context: kubeconfig.context,
      ...(file ? { kubeconfig: file } : {}),
      allowCredentialPlugins: allow === "1" || allow === "true",
    });
  return context.connections === undefined
    ? connect()
    : context.connections.get(
        `${file ?? ""}\n${kubeconfig.context}\n${allow ?? ""}`,
        kubeconfigStamp(file),
        connect,
      );
}

/**
 * An error about reaching a cluster (refused, unreachable, TLS, a kubeconfig without its context)
 * names the platform's cluster and its kubeconfig context; other errors are left as they are.
 */
function namingCluster(error: unknown, cluster: string, context: string): unknown {
  if (!isSlipwayError(error)) return error;
  const reaching =
    error.code === ErrorCode.Unavailable ||
    error.details.network !== undefined ||
    error.details.kubeconfig !== undefined;
  if (!reaching) return error;
  return new SlipwayError(
    error.code,
    `cluster \`${cluster}\` (kubeconfig context \`${context}\`): ${error.message}`,
    {
      problems: error.problems,
      details: { ...error.details, cluster, context },
      cause: error,
    },
  );
}
