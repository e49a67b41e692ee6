/**
 * From a platform's `clusters:` entry to the DeployTarget a deployment talks to: a GitOps
 * repository (`gitops.directory`, relative to the platform file) or a cluster through a kubeconfig
 * context (the cluster adapter is itself a DeployTarget). Both composition roots deploy through it
 * — the CLI's `deploy` and `diff`, and the server's engine — so a platform file means the same
 * destination to both. Adapters are constructed here and nowhere else but the roots; only the
 * roots import this folder (`test/support/layering.ts`).
 */
import { dirname, resolve } from "node:path";
import { ALLOW_CREDENTIAL_PLUGINS_ENV } from "../cluster/cluster.ts";
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
}

export async function deployTargetFor(
  platform: LoadedPlatform,
  clusterName: string,
  context: TargetContext,
): Promise<DeployTarget> {
  const cluster = platform.platform.clusters.find((c) => c.name === clusterName);
  if (cluster === undefined) {
    throw new SlipwayError(
      ErrorCode.PlatformInvalid,
      `the platform names no cluster \`${clusterName}\`; add it under clusters: in the platform file`,
    );
  }
  // Relative to the platform file, so the same file works from any working directory.
  const base =
    platform.source === undefined ? context.cwd : dirname(resolve(context.cwd, platform.source.file));
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
  const kubeconfig = cluster.kubeconfig;
  if (kubeconfig === undefined) {
    throw new SlipwayError(
      ErrorCode.PlatformInvalid,
      `cluster \`${clusterName}\` has neither kubeconfig nor gitops`,
    );
  }
  // An explicit path is relative to the platform file; otherwise $KUBECONFIG or ~/.kube/config, as kubectl does.
  const file = kubeconfig.path === undefined ? context.env.KUBECONFIG : resolve(base, kubeconfig.path);
  // Loaded here, not at the top: the Kubernetes client costs about a second to import, and every
  // other command (and every GitOps deploy) would pay it at start-up.
  const { KubeCluster } = await import("../cluster/kube-cluster.ts");
  const allow = context.env[ALLOW_CREDENTIAL_PLUGINS_ENV];
  const connecting = KubeCluster.connect({
    context: kubeconfig.context,
    ...(file ? { kubeconfig: file } : {}),
    allowCredentialPlugins: allow === "1" || allow === "true",
  });
  if (context.nameCluster !== true) return connecting;
  const named = (error: unknown) => namingCluster(error, clusterName, kubeconfig.context);
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
