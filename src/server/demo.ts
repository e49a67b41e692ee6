/**
 * `slipway serve --demo`: the example apps registered with a few releases deployed to a few
 * channels, so a newcomer's first command shows a populated platform. Idempotent: a second start
 * finds everything in place (releases are unique per commit and digest) and adds nothing.
 *
 * Where a `DeployTarget` is handed in (the GitOps directory, by the composition root), each demo
 * deployment is also rendered and written there, exactly as a real deploy would be.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, isSlipwayError, SlipwayError } from "../core/errors.ts";
import type { DeployTarget } from "../delivery/deploy-target.ts";
import { render } from "../render/render.ts";
import { APP_FILE, loadApp, loadPlatformFile, PLATFORM_FILE } from "../spec/files.ts";
import type { LoadedApp } from "../spec/parse.ts";
import { canonicalJson, sha256Hex } from "../store/ids.ts";
import type { Deployment, Release } from "../store/records.ts";
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
}

export async function seedDemo(
  store: Store,
  options: { examplesDir: string; deployTarget?: DeployTarget; log?: (line: string) => void },
): Promise<DemoResult> {
  if (!existsSync(options.examplesDir)) {
    throw new SlipwayError(
      ErrorCode.Input,
      `--demo reads the example apps from ${options.examplesDir}, which does not exist: run it in a Slipway checkout or pass --examples <dir>`,
    );
  }
  const platformFile = join(options.examplesDir, PLATFORM_FILE);
  const platform = loadPlatformFile(existsSync(platformFile) ? platformFile : undefined, undefined);
  const channels = platform.platform.channels.map((c) => c.name);
  for (const name of channels) await ensure(() => store.createTarget(demoActor, { name, kind: "channel" }));
  const apps = readdirSync(options.examplesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(options.examplesDir, entry.name, APP_FILE)))
    .map((entry) => entry.name)
    .sort();
  let deployments = 0;
  for (const dir of apps) {
    const loaded = loadApp(join(options.examplesDir, dir), platform);
    const { spec } = loaded;
    await ensure(() => store.createTeam(demoActor, spec.team));
    await ensure(() =>
      store.createApp(demoActor, {
        name: spec.name,
        teamName: spec.team,
        description: spec.description ?? "",
      }),
    );
    const specText = readFileSync(join(options.examplesDir, dir, APP_FILE), "utf8");
    const releases: Release[] = [];
    for (const n of [1, 2]) {
      const { release } = await store.createRelease(demoActor, {
        appName: spec.name,
        commitSha: sha256Hex(`${spec.name} commit ${n}`).slice(0, 40),
        imageDigest: `sha256:${sha256Hex(`${spec.name} image ${n}`)}`,
        specHash: sha256Hex(specText),
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
      if (options.deployTarget)
        await writeToTarget(options.deployTarget, loaded, platform, deployment, release);
      await store.recordDeploymentStatus(demoActor, {
        deploymentId: deployment.id,
        status: "progressing",
        message: "rolling out",
      });
      if (step.status === "available") {
        await store.recordDeploymentStatus(demoActor, {
          deploymentId: deployment.id,
          status: "available",
          message: "all replicas available",
        });
      }
      deployments++;
    }
    options.log?.(`demo: ${spec.name} (team ${spec.team}) with 2 releases`);
  }
  return { apps, deployments };
}

async function writeToTarget(
  target: DeployTarget,
  app: LoadedApp,
  platform: ReturnType<typeof loadPlatformFile>,
  deployment: Deployment,
  release: Release,
): Promise<void> {
  const image = `${app.spec.image.repository}@${release.imageDigest}`;
  const rendered = render({ app, platform, target: deployment.targetName, image, release: release.id });
  await target.apply({
    scope: { app: app.spec.name, target: deployment.targetName },
    objects: rendered.objects,
    prune: true,
    release: { commit: release.commitSha, image },
    wait: false,
  });
}

/** Creates something unless it already exists (a second demo start). */
async function ensure(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if (!isSlipwayError(error) || error.code !== ErrorCode.Conflict) throw error;
  }
}
