/**
 * What `deploy` and `diff` share: load the app and the platform, render for the target, and find
 * where the target's objects go.
 */
import type { KubeObject } from "../../core/kube-object.ts";
import type { DeployScope, DeployTarget } from "../../delivery/deploy-target.ts";
import { render } from "../../render/render.ts";
import { loadAppAndPlatform } from "../../spec/files.ts";
import { deployTargetFor } from "./targets.ts";

export interface PreparedDeploy {
  readonly scope: DeployScope;
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
}

export function prepareDeploy(input: PrepareInput): PreparedDeploy {
  const { app, platform, appDir } = loadAppAndPlatform(input.app, input.platform);
  const result = render({
    app,
    platform,
    target: input.target,
    ...(input.image === undefined ? {} : { image: input.image }),
  });
  return {
    scope: { app: result.spec.name, target: result.target.name },
    objects: result.objects,
    target: deployTargetFor(platform, result.target.cluster, input.cwd),
    appDir,
    image: result.image.reference,
  };
}
