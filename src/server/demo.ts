/**
 * `slipway serve --demo`: the example apps registered with a few releases deployed to a few
 * channels, so a newcomer's first command shows a populated platform. Idempotent: a second start
 * finds everything in place (releases are unique per commit and digest) and adds nothing.
 *
 * Each demo deployment goes through the one deployment use case, as any deploy does: rendered for
 * its channel, held to the channel's policy (an app the policy blocks is recorded as failed, with
 * the findings, and nothing is written), its secrets decrypted in memory with the demo key and
 * sealed again for the GitOps repository, then applied through the target handed in.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, isSlipwayError, SlipwayError } from "../core/errors.ts";
import { type DeployPorts, type DeployRecorder, deployRelease } from "../delivery/deploy.ts";
import { appSourceFromDirectory } from "../source/app-directory.ts";
import type { PlatformWithRules } from "../source/platform-files.ts";
import { APP_FILE } from "../spec/files.ts";
import { parseAppSpec } from "../spec/parse.ts";
import { canonicalJson, sha256Hex } from "../store/ids.ts";
import { type Deployment, deploymentStatusSchema, type Release } from "../store/records.ts";
import { type Actor, type Store, systemActor } from "../store/store.ts";

const demoActor: Actor = { ...systemActor, subject: "demo" };

/** Which releases go where: release 1 is live in stable; release 2 is moving through. */
const plan: readonly { release: 0 | 1; channel: string; status: "available" | "progressing" }[] = [
  { release: 0, channel: "develop", status: "available" },
  { release: 0, channel: "staging", status: "available" },
  { release: 0, channel: "stable", status: "available" },
  { release: 1, channel: "develop", status: "available" },
  { release: 1, channel: "staging", status: "progressing" },
];

export interface DemoResult {
  readonly apps: readonly string[];
  readonly deployments: number;
  /** Deployments the use case refused (policy, secrets), as `app → channel: reason`. */
  readonly refused: readonly string[];
}

export interface DemoOptions {
  readonly examplesDir: string;
  /** The server's platform (for the demo, the examples' platform file). */
  readonly platform: PlatformWithRules;
  /** Where deployments go and the keys that open the examples' secrets (the composition root's). */
  readonly ports: Pick<DeployPorts, "target" | "keys">;
  readonly log?: (line: string) => void;
}

export async function seedDemo(store: Store, options: DemoOptions): Promise<DemoResult> {
  if (!existsSync(options.examplesDir)) {
    throw new SlipwayError(
      ErrorCode.Input,
      `--demo reads the example apps from ${options.examplesDir}, which does not exist: run it in a Slipway checkout or pass --examples <dir>`,
    );
  }
  const { platform, customRules } = options.platform;
  const channels = platform.platform.channels.map((c) => c.name);
  const apps = readdirSync(options.examplesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(options.examplesDir, entry.name, APP_FILE)))
    .map((entry) => entry.name)
    .sort();
  let deployments = 0;
  const refused: string[] = [];
  for (const dir of apps) {
    const { source } = appSourceFromDirectory(join(options.examplesDir, dir));
    const { spec } = parseAppSpec(source.spec.text, source.spec.file, platform);
    await ensure(() => store.createTeam(demoActor, spec.team));
    await ensure(() =>
      store.createApp(demoActor, {
        name: spec.name,
        teamName: spec.team,
        description: spec.description ?? "",
      }),
    );
    const releases: Release[] = [];
    for (const n of [1, 2]) {
      const { release } = await store.createRelease(demoActor, {
        appName: spec.name,
        commitSha: sha256Hex(`${spec.name} commit ${n}`).slice(0, 40),
        imageDigest: `sha256:${sha256Hex(`${spec.name} image ${n}`)}`,
        specHash: sha256Hex(source.spec.text),
        secretsHash: sha256Hex(canonicalJson(spec.secrets ?? [])),
        commitTime: new Date(Date.UTC(2026, 0, n, 9)).toISOString(),
      });
      releases.push(release);
    }
    const existing = await store.listDeployments({ appName: spec.name }, { limit: 1 });
    if (existing.items.length > 0) continue;
    for (const step of plan) {
      if (!channels.includes(step.channel)) continue;
      const release = releases[step.release]!;
      const deployment = await store.startDeployment(demoActor, {
        releaseId: release.id,
        targetName: step.channel,
      });
      deployments++;
      try {
        await deployRelease(
          {
            app: source,
            platform,
            customRules,
            target: step.channel,
            image: `${spec.image.repository}@${release.imageDigest}`,
            release: { commit: release.commitSha, id: release.id },
            team: spec.team,
          },
          { prune: true, wait: false },
          { ...options.ports, recorder: recorderFor(store, deployment) },
        );
      } catch (error) {
        if (!isSlipwayError(error)) throw error;
        // Recorded as failed by the use case; the demo shows it and goes on with the others.
        refused.push(`${spec.name} → ${step.channel}: ${error.message.split("\n")[0]}`);
        continue;
      }
      if (step.status === "available") {
        await store.recordDeploymentStatus(demoActor, {
          deploymentId: deployment.id,
          status: "available",
          message: "all replicas available",
        });
      }
    }
    options.log?.(`demo: ${spec.name} (team ${spec.team}) with 2 releases`);
  }
  for (const line of refused) options.log?.(`demo: refused ${line}`);
  return { apps, deployments, refused };
}

/** The use case's status changes into the deployment's history, for the statuses the store keeps. */
function recorderFor(store: Store, deployment: Deployment): DeployRecorder {
  return {
    async record({ status, message }) {
      if (!deploymentStatusSchema.safeParse(status).success) return;
      await store.recordDeploymentStatus(demoActor, {
        deploymentId: deployment.id,
        status: status as Deployment["status"],
        message,
      });
    },
  };
}

/** Creates something unless it already exists (a second demo start). */
async function ensure(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if (!isSlipwayError(error) || error.code !== ErrorCode.Conflict) throw error;
  }
}
