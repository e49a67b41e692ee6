/**
 * The CLI's side of `deploy` and `diff`: the app from its directory, the operator's platform and
 * keys from flags and the environment, and the adapters they name — then the one deployment use
 * case (`delivery/deploy.ts`) does the rest. A composition root: adapters are built here, lazily.
 */
import { deployTargetFor } from "../../compose/deploy-targets.ts";
import {
  type ApplyOptions,
  applyRelease,
  type DeployOutcome,
  type DeployPorts,
  type PreparedRelease,
  prepareRelease,
} from "../../delivery/deploy.ts";
import type { DeployProgress } from "../../delivery/deploy-target.ts";
import { keyRingFromEnv } from "../../secrets/backends/from-env.ts";
import type { KeyRing } from "../../secrets/key-ring.ts";
import { appSourceFromDirectory } from "../../source/app-directory.ts";
import { loadPlatformFile } from "../../spec/files.ts";
import type { CliIo } from "../io.ts";
import { readCustomRules } from "../manifest-input.ts";
import { printVerdictSummary } from "../policy-gate.ts";

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

export interface CliDeploy {
  readonly prepared: PreparedRelease;
  readonly appDir: string;
  /** The platform file's deadlines (`deploy:`), for flags that leave them out. */
  readonly deadlines: {
    readonly applyTimeout?: string | undefined;
    readonly rolloutTimeout?: string | undefined;
  };
  /** Applies what was prepared as `commit`, with the same ports; `progress` feeds a display. */
  apply(
    options: ApplyOptions,
    commit: string,
    progress?: (event: DeployProgress) => void,
  ): Promise<DeployOutcome>;
}

export async function prepareDeploy(input: PrepareInput): Promise<CliDeploy> {
  const platform = loadPlatformFile(input.platform, input.env);
  const { source, appDir } = appSourceFromDirectory(input.app);
  // Built only when needed: an app without secrets deploys without any key configured.
  let ring: KeyRing | undefined;
  const ports: DeployPorts = {
    // The operator's keys, narrowed to the app's team: another team's file does not open here.
    keys: (scope) => {
      ring ??= keyRingFromEnv(input.env, {
        keys: platform.platform.keys,
        teams: platform.platform.teams?.map((t) => t.name),
        scope,
      });
      return ring;
    },
    target: (cluster, scope) =>
      deployTargetFor(platform, cluster, {
        cwd: input.cwd,
        keys: () => ports.keys({ team: scope.team, app: scope.app }),
        env: input.env,
      }),
  };
  const prepared = await prepareRelease(
    {
      app: source,
      platform,
      customRules: readCustomRules(platform),
      target: input.target,
      ...(input.image === undefined ? {} : { image: input.image }),
    },
    ports,
  );
  const summaryTarget = { specFile: source.spec.file, name: prepared.scope.target, arg: input.target };
  printVerdictSummary(prepared.verdict, summaryTarget, input.io);
  return {
    prepared,
    appDir,
    deadlines: platform.platform.deploy ?? {},
    apply: (options, commit, progress) =>
      applyRelease(
        { ...prepared, release: { commit } },
        options,
        progress === undefined ? ports : { ...ports, progress },
      ),
  };
}
