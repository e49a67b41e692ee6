/**
 * The one deployment use case: render → policy gate → secrets → apply → track. The CLI's `deploy`
 * and `diff`, the demo and the server's engine all come through here, so a release is checked and
 * materialized the same way wherever it is deployed from.
 *
 * Pure orchestration: everything with I/O is a port handed in (where the objects go, the key ring,
 * the recorder, the clock, the progress sink), and the app arrives as data — slipway.yaml's text and
 * a reader of its encrypted secret files — so the same call works from an app's directory on disk
 * (CLI) and from a release's stored snapshot (server). Nothing here constructs an adapter.
 *
 *   const outcome = await deployRelease(
 *     { app: { spec: { text, file }, files }, platform, target: "staging", image, release: { commit } },
 *     { target: (cluster, scope) => targetFor(cluster, scope), keys: (scope) => ringFor(scope) },
 *   );
 */
import { ErrorCode, isSlipwayError, SlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import { policyBlocked, policyGate } from "../policy/gate.ts";
import type { Rule } from "../policy/types.ts";
import type { Verdict } from "../policy/verdict.ts";
import { SECRET_FILE_ANNOTATION } from "../render/config.ts";
import { type RenderResult, render } from "../render/render.ts";
import type { KeyRing } from "../secrets/key-ring.ts";
import type { AppSpec } from "../spec/app-schema.ts";
import { type LoadedPlatform, parseAppSpec } from "../spec/parse.ts";
import type {
  ApplyResult,
  DeployProgress,
  DeployScope,
  DeployTarget,
  DeployTimeouts,
} from "./deploy-target.ts";
import { materializeSecrets } from "./materialize-secrets.ts";
import { sopsSecretSources } from "./sops-secret-sources.ts";

/** The encrypted files an app's slipway.yaml names, by the path written there (relative to the app). */
export interface AppFiles {
  /** The file's bytes; a SlipwayError naming the file when it is missing or not allowed. */
  read(file: string): Promise<Uint8Array>;
}

/** An app as a release holds it: slipway.yaml's text and its secret files, from disk or a snapshot. */
export interface AppSource {
  /** `file` is how positions in errors name it (`apps/web/slipway.yaml`, or `<commit>:slipway.yaml`). */
  readonly spec: { readonly text: string; readonly file: string };
  readonly files: AppFiles;
}

export interface ReleaseRef {
  readonly commit: string;
  readonly id?: string;
}

export interface DeployInput {
  readonly app: AppSource;
  /** The operator's platform: the only source of channels, clusters, policy and teams. */
  readonly platform: LoadedPlatform;
  /** Custom policy rules from the platform's directory, read by the caller (they are files). */
  readonly customRules?: readonly Rule[];
  /** A channel name, or `preview:<branch>`. */
  readonly target: string;
  /**
   * `repository@sha256:…`, or the digest alone (the spec's repository is used). Only a diff leaves
   * it out, to see the spec's own tag.
   */
  readonly image?: string;
  /**
   * The source commit, and the release id when the server recorded one (labelled on objects).
   * A diff may leave it out; a deploy without one records the commit as `unknown`.
   */
  readonly release?: ReleaseRef;
  /**
   * The team the app is registered under, when the caller knows it (the server does). It must be
   * the team slipway.yaml names; without it, the spec's team is used. Either way it must be one of
   * the platform's teams when the platform lists them.
   */
  readonly team?: string;
}

export interface ApplyOptions {
  /** Delete the target's objects of this app that are no longer rendered. */
  readonly prune?: boolean;
  /** Follow the rollout until the workloads are available (clusters). */
  readonly wait?: boolean;
  /** With `wait`: a failed rollout puts the previous revision back, and still fails. */
  readonly rollbackOnFailure?: boolean;
  /** Take over fields other managers own (clusters); never another app's objects. */
  readonly forceConflicts?: boolean;
  /** Deadlines of the apply and of following the rollout. */
  readonly timeouts?: DeployTimeouts;
}

/** Status changes the use case reports, in order: rendering → applying → progressing → available | failed. */
export const DeployStage = {
  Rendering: "rendering",
  Applying: "applying",
  Progressing: "progressing",
  Available: "available",
  Failed: "failed",
} as const;
export type DeployStage = (typeof DeployStage)[keyof typeof DeployStage];

/** Where status changes go (the server's store through the engine; nowhere for the CLI). */
export interface DeployRecorder {
  record(change: {
    readonly status: DeployStage;
    readonly message: string;
    readonly at: Date;
  }): Promise<void>;
}

export interface DeployPorts {
  /** The destination of a platform cluster (`clusters:` entry): a cluster API or a GitOps repository. */
  readonly target: (cluster: string, scope: Required<DeployScope>) => DeployTarget | Promise<DeployTarget>;
  /**
   * The operator's key ring narrowed to the app's team and app, so another team's secret files do
   * not open. Called only when the app has secrets: an app without any deploys with no key set up.
   */
  readonly keys: (scope: { readonly team: string; readonly app: string }) => KeyRing;
  readonly recorder?: DeployRecorder;
  /** For waiver expiry and recorded times; the system clock when absent. */
  readonly clock?: () => Date;
  /** Object, replica and note events while applying (a progress display, a log). */
  readonly progress?: (event: DeployProgress) => void;
}

/**
 * A release ready to apply. `objects` carry decrypted secret values: hand them to the target only,
 * never to a printer or a log (a target's plan and changes come back redacted).
 */
export interface PreparedRelease {
  readonly scope: Required<DeployScope>;
  readonly objects: readonly KubeObject[];
  readonly target: DeployTarget;
  /** The target's one-line description, e.g. `GitOps repository /srv/gitops (main)`. */
  readonly destination: string;
  /** The image the render pinned. */
  readonly image: string;
  readonly spec: AppSpec;
  /** The policy verdict (passed: a blocking one stops before secrets are opened). */
  readonly verdict: Verdict;
  readonly release: ReleaseRef | undefined;
}

export interface DeployOutcome {
  readonly prepared: Omit<PreparedRelease, "objects">;
  readonly result: ApplyResult;
  /** `available`: the rollout was followed to the end; `applied`: written, not followed (no wait, or GitOps). */
  readonly status: "available" | "applied";
}

/** Render, gate and materialize secrets; nothing is written anywhere. `diff` and dry runs stop here. */
export async function prepareRelease(input: DeployInput, ports: DeployPorts): Promise<PreparedRelease> {
  const app = parseAppSpec(input.app.spec.text, input.app.spec.file, input.platform);
  const team = teamOf(app.spec, input);
  const result = render({
    app,
    platform: input.platform,
    target: input.target,
    ...(input.image === undefined ? {} : { image: input.image }),
    ...(input.release?.id === undefined ? {} : { release: input.release.id }),
  });
  const verdict = gate(result, input, today(ports));
  const scope = { app: result.spec.name, target: result.target.name, team };
  const objects = hasSecrets(result.objects)
    ? await materializeSecrets(
        result.objects,
        sopsSecretSources(input.app.files, () => ports.keys({ team, app: scope.app })),
      )
    : result.objects;
  const target = await ports.target(result.target.cluster, scope);
  return {
    scope,
    objects,
    target,
    destination: target.describe(),
    image: result.image.reference,
    spec: result.spec,
    verdict,
    release: input.release,
  };
}

/**
 * Applies a prepared release and follows it as far as asked. Each stage is recorded with its time;
 * a failure is recorded as `failed` with its message and then thrown, unchanged, to the caller.
 */
export async function applyRelease(
  prepared: PreparedRelease,
  options: ApplyOptions,
  ports: DeployPorts,
): Promise<DeployOutcome> {
  const { target, objects, ...rest } = prepared;
  return await recordingFailure(ports, async () => {
    if (options.rollbackOnFailure === true && (options.wait !== true || target.undo !== "rollback")) {
      throw new SlipwayError(
        ErrorCode.Input,
        `rollback on failure needs a followed rollout on a cluster; ${prepared.scope.target} deploys to the ${prepared.destination}` +
          (target.undo === "rollback"
            ? " without waiting for the rollout"
            : ", where a deploy is undone by reverting its commit"),
      );
    }
    await record(
      ports,
      DeployStage.Applying,
      `applying ${objects.length} objects to the ${prepared.destination}`,
    );
    const wait = options.wait === true;
    // A cluster says when the objects are written and it follows the rollout: progressing.
    let progressing: Promise<void> | undefined;
    const onProgress = (event: DeployProgress) => {
      if (event.type === "applied" && progressing === undefined) {
        progressing = record(
          ports,
          DeployStage.Progressing,
          `applied (${event.writes} objects written); following the rollout`,
        );
        progressing.catch(() => {});
      }
      ports.progress?.(event);
    };
    const applying = target.apply({
      scope: prepared.scope,
      objects,
      prune: options.prune === true,
      release: { commit: prepared.release?.commit ?? "unknown", image: prepared.image },
      wait,
      ...(options.rollbackOnFailure === true ? { rollbackOnFailure: true } : {}),
      ...(options.forceConflicts === true ? { forceConflicts: true } : {}),
      ...(options.timeouts === undefined ? {} : { timeouts: options.timeouts }),
      onProgress,
    });
    // The progressing record is written before the outcome's, whichever it is.
    const result = await applying.finally(() => progressing?.catch(() => {}));
    await progressing;
    const revision = result.revision === undefined ? "" : ` (${result.revision})`;
    if (wait && target.undo === "rollback") {
      await record(ports, DeployStage.Available, `all workloads available${revision}`);
      return { prepared: { target, ...rest }, result, status: "available" as const };
    }
    await record(
      ports,
      DeployStage.Progressing,
      target.undo === "git-revert"
        ? `committed${revision}; the repository's GitOps controller rolls it out`
        : `applied${revision}; the rollout is not followed`,
    );
    return { prepared: { target, ...rest }, result, status: "applied" as const };
  });
}

/** The whole use case: prepare (render, gate, secrets), then apply and track. */
export async function deployRelease(
  input: DeployInput,
  options: ApplyOptions,
  ports: DeployPorts,
): Promise<DeployOutcome> {
  await record(ports, DeployStage.Rendering, `rendering for ${input.target}`);
  const prepared = await recordingFailure(ports, () => prepareRelease(input, ports));
  return await applyRelease(prepared, options, ports);
}

/** An in-memory `AppFiles`, e.g. a release snapshot's secret files by their path in slipway.yaml. */
export function appFilesFrom(files: ReadonlyMap<string, Uint8Array>, where: string): AppFiles {
  return {
    async read(file) {
      const bytes = files.get(file);
      if (bytes === undefined) {
        throw new SlipwayError(
          ErrorCode.Input,
          `secret file ${file} (named in slipway.yaml) is not in ${where}`,
          {
            details: { file },
          },
        );
      }
      return bytes;
    },
  };
}

function teamOf(spec: AppSpec, input: DeployInput): string {
  const team = input.team ?? spec.team;
  if (team !== spec.team) {
    throw new SlipwayError(
      ErrorCode.Forbidden,
      `app ${spec.name} is registered to team ${team}, but ${input.app.spec.file} says team: ${spec.team}; ` +
        "deploy it as its registered team (fix slipway.yaml), or ask a platform administrator to move the app",
    );
  }
  const teams = input.platform.platform.teams?.map((t) => t.name);
  if (teams !== undefined && teams.length > 0 && !teams.includes(team)) {
    throw new SlipwayError(
      ErrorCode.PlatformInvalid,
      `team ${team} of app ${spec.name} is not one of the platform's teams (${teams.join(", ")}); add it under teams: in the platform file`,
    );
  }
  return team;
}

/** Policy sees the objects before secrets are filled in, so no finding can quote a value. */
function gate(result: RenderResult, input: DeployInput, today: string): Verdict {
  const verdict = policyGate({
    objects: result.objects,
    platform: input.platform.platform,
    app: result.spec,
    target: { kind: result.target.kind, name: result.target.name },
    ...(input.customRules === undefined ? {} : { customRules: input.customRules }),
    today,
  });
  if (!verdict.passed) throw policyBlocked(verdict, result.target.name);
  return verdict;
}

function hasSecrets(objects: readonly KubeObject[]): boolean {
  return objects.some((o) => o.metadata.annotations?.[SECRET_FILE_ANNOTATION] !== undefined);
}

function now(ports: DeployPorts): Date {
  return ports.clock?.() ?? new Date();
}

function today(ports: DeployPorts): string {
  return now(ports).toISOString().slice(0, 10);
}

async function record(ports: DeployPorts, status: DeployStage, message: string): Promise<void> {
  await ports.recorder?.record({ status, message, at: now(ports) });
}

async function recordingFailure<T>(ports: DeployPorts, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    // Error messages carry no secret values (SecretValue redacts itself; materializing names files only).
    const message = isSlipwayError(error) ? error.message : "internal error";
    await record(ports, DeployStage.Failed, message);
    throw error;
  }
}
