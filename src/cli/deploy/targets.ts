/**
 * From a platform's `clusters:` entry to the DeployTarget a deploy or diff talks to: a GitOps
 * repository (`gitops.directory`, relative to the platform file) or a cluster through a kubeconfig
 * context (the cluster adapter is itself a DeployTarget). The CLI is a composition root, so this is
 * where the adapters are constructed.
 */
import { dirname, resolve } from "node:path";
import { ALLOW_CREDENTIAL_PLUGINS_ENV } from "../../cluster/cluster.ts";
import { ErrorCode, SlipwayError } from "../../core/errors.ts";
import type { DeployTarget } from "../../delivery/deploy-target.ts";
import { sopsSecretSealer } from "../../delivery/sops-secret-sealer.ts";
import { GitOpsTarget } from "../../gitops/gitops-target.ts";
import type { KeyRing } from "../../secrets/key-ring.ts";
import type { LoadedPlatform } from "../../spec/parse.ts";

export interface TargetContext {
  readonly cwd: string;
  /** The key ring, built on first use (sealing Secrets for a GitOps repository). */
  readonly keys: () => KeyRing;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export async function deployTargetFor(
  platform: LoadedPlatform,
  clusterName: string,
  context: TargetContext,
): Promise<DeployTarget> {
  const { cwd } = context;
  const cluster = platform.platform.clusters.find((c) => c.name === clusterName);
  if (cluster === undefined) {
    throw new SlipwayError(
      ErrorCode.PlatformInvalid,
      `the platform names no cluster \`${clusterName}\`; add it under clusters: in the platform file`,
    );
  }
  if (cluster.gitops !== undefined) {
    // Relative to the platform file, so the same file works from any working directory.
    const base = platformDir(platform, cwd);
    const sops = cluster.gitops.sops;
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
      ...(cluster.gitops.remote === undefined ? {} : { url: cluster.gitops.remote }),
      ...(cluster.gitops.branch === undefined ? {} : { branch: cluster.gitops.branch }),
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
  const file =
    kubeconfig.path === undefined
      ? context.env.KUBECONFIG
      : resolve(platformDir(platform, cwd), kubeconfig.path);
  // Loaded here, not at the top: the Kubernetes client costs about a second to import, and every
  // other command (and every GitOps deploy) would pay it at start-up.
  const { KubeCluster } = await import("../../cluster/kube-cluster.ts");
  const allow = context.env[ALLOW_CREDENTIAL_PLUGINS_ENV];
  return KubeCluster.connect({
    context: kubeconfig.context,
    ...(file ? { kubeconfig: file } : {}),
    allowCredentialPlugins: allow === "1" || allow === "true",
  });
}

function platformDir(platform: LoadedPlatform, cwd: string): string {
  return platform.source === undefined ? cwd : dirname(resolve(cwd, platform.source.file));
}
