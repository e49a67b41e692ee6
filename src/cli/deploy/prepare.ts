/**
 * What `deploy` and `diff` share: load the app and the platform, render for the target, put the
 * secret values in (decrypted in memory from the app's SOPS files), and find where the target's
 * objects go.
 */
import type { KubeObject } from "../../core/kube-object.ts";
import type { DeployScope, DeployTarget } from "../../delivery/deploy-target.ts";
import { materializeSecrets } from "../../delivery/materialize-secrets.ts";
import { sopsSecretSources } from "../../delivery/sops-secret-sources.ts";
import { SECRET_FILE_ANNOTATION } from "../../render/config.ts";
import { render } from "../../render/render.ts";
import { keyRingFromEnv } from "../../secrets/backends/from-env.ts";
import type { KeyRing } from "../../secrets/key-ring.ts";
import { loadAppAndPlatform } from "../../spec/files.ts";
import type { CliIo } from "../io.ts";
import { gateRender } from "../policy-gate.ts";
import { deployTargetFor } from "./targets.ts";

export interface PreparedDeploy {
  readonly scope: DeployScope;
  /** With secret values: hand these only to a target, never to a printer. */
  readonly objects: KubeObject[];
  readonly target: DeployTarget;
  readonly appDir: string;
  /** The image the render pinned. */
  readonly image: string;
}

export interface PrepareInput {
  readonly app: string;
  readonly target: string;
  readonly platform?: string | undefined;
  readonly image?: string | undefined;
  readonly cwd: string;
  /** Where the key ring's identities and credentials come from (age, Vault, KMS). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where a warn-mode policy summary goes; an enforced finding stops the deploy instead. */
  readonly io: CliIo;
}

export async function prepareDeploy(input: PrepareInput): Promise<PreparedDeploy> {
  const { app, platform, appDir } = loadAppAndPlatform(input.app, input.platform, input.env);
  const result = render({
    app,
    platform,
    target: input.target,
    ...(input.image === undefined ? {} : { image: input.image }),
  });
  // Policy sees the objects before secrets are filled in, so no finding can quote a value.
  gateRender(result, app, platform, input.io);
  // Built only when needed: an app without secrets deploys without any key configured.
  let ring: KeyRing | undefined;
  const keys = () => {
    // The operator's keys, narrowed to the app's team: another team's file does not open here.
    ring ??= keyRingFromEnv(input.env, {
      keys: platform.platform.keys,
      teams: platform.platform.teams?.map((t) => t.name),
      scope: { team: result.spec.team, app: result.spec.name },
    });
    return ring;
  };
  const hasSecrets = result.objects.some(
    (o) => o.metadata.annotations?.[SECRET_FILE_ANNOTATION] !== undefined,
  );
  const objects = hasSecrets
    ? await materializeSecrets(result.objects, sopsSecretSources(appDir, keys()))
    : result.objects;
  return {
    scope: { app: result.spec.name, target: result.target.name, team: result.spec.team },
    objects,
    target: await deployTargetFor(platform, result.target.cluster, { cwd: input.cwd, keys, env: input.env }),
    appDir,
    image: result.image.reference,
  };
}
