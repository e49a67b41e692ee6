/**
 * `slipway serve --demo`: the example apps released from git and moved through the channels by the
 * server's own engine and promotions, so a newcomer's first look (`slipway status`, the page at
 * `/`) shows a real channel matrix: releases live in several channels, one waiting for an approval,
 * one refused by a gate.
 *
 * - `registerDemoApps`, before the server listens: every example app (a directory of the examples
 *   with a slipway.yaml) and its team.
 * - `runDemo`, once the engine runs: a git repository of the examples is made in the data directory
 *   (`demo-repository.ts`); each app's releases are created from its commits as CI creates them
 *   (the spec and secret files read and checked at the commit, kept as the release's snapshot, the
 *   new release queued for the channels that say autoDeploy); then each release is promoted channel
 *   by channel through the same gates as `slipway promote`, waiting each time for the engine to
 *   make it available (render, policy, secrets, commit to the GitOps directory).
 * - Idempotent: each step first reads what the store holds (the app's releases, the release's
 *   deployments to the channel) and does only what is missing, so a second start adds nothing and
 *   a start interrupted half way is finished by the next one.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode, isSlipwayError, SlipwayError } from "../core/errors.ts";
import { evaluatePromotion, type PromotionContext } from "../delivery/promotion-facts.ts";
import type { ReleaseSources } from "../delivery/release-from-git.ts";
import { appSourceFromDirectory } from "../source/app-directory.ts";
import type { PlatformWithRules } from "../source/platform-files.ts";
import { APP_FILE } from "../spec/files.ts";
import { parseAppSpec } from "../spec/parse.ts";
import { sha256Hex } from "../store/ids.ts";
import type { Release } from "../store/records.ts";
import type { Actor, Store } from "../store/store.ts";
import { demoRepository } from "./demo-repository.ts";

/** Who does what in the demo's history: CI creates releases, a releaser promotes, a reviewer answers. */
const ci: Actor = { userId: "system", subject: "demo-ci" };
const releaser: Actor = { userId: "system", subject: "demo-releaser" };
const reviewer: Actor = { userId: "system", subject: "demo-reviewer" };

/** How far an app's releases go. Channel names missing from the platform mean its last channel. */
interface Story {
  /** The last channel the first release reaches. */
  readonly first: string;
  /** A second release (a later commit and image), and the last channel it reaches. */
  readonly second?: string;
  /** A reviewer rejects the newest release for the channel after the last one it reached. */
  readonly rejected?: string;
}

const stories: Readonly<Record<string, Story>> = {
  // The second release waits for an approval to go to stable (the platform file asks for one).
  cart: { first: "stable", second: "beta" },
  // A failed gate: the release in beta was rejected for stable, with the reason.
  mailer: { first: "beta", rejected: "bounce rate doubled in beta; hold until the SMTP pool is fixed" },
  "rates-api": { first: "staging", second: "integration" },
  dashboard: { first: "integration" },
  helpdesk: { first: "integration" },
  reports: { first: "integration" },
};
/** Apps the demo has no story for (examples added later) go as far as staging. */
const otherApps: Story = { first: "staging" };

const finalStatuses = new Set(["available", "failed", "superseded", "rolled-back"]);

export interface DemoApp {
  readonly dir: string;
  readonly name: string;
  readonly team: string;
  /** The image repository the app's slipway.yaml names (releases carry a digest of it). */
  readonly imageRepository: string;
}

export interface DemoResult {
  readonly apps: readonly string[];
  /** Deployments this start queued (none on a start that found everything in place). */
  readonly deployments: number;
  /** Per app, where its releases stopped when a gate did not pass: `app → channel: gate: reason`. */
  readonly waiting: readonly string[];
}

export interface DemoOptions {
  readonly examplesDir: string;
  /** Holds the demo's git repository. */
  readonly dataDir: string;
  /** The server's platform (for the demo, the examples' platform file). */
  readonly platform: () => PlatformWithRules;
  /** How the server reads releases from git (local repositories allowed). */
  readonly sources: ReleaseSources;
  /** Tells this replica's engine that a deployment was queued. */
  readonly wake?: () => void;
  /** Stops the demo's waiting when the server stops. */
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

/** The example apps (directories with a slipway.yaml), registered with their teams if missing. */
export async function registerDemoApps(
  store: Store,
  examplesDir: string,
  platform: PlatformWithRules,
): Promise<DemoApp[]> {
  if (!existsSync(examplesDir)) {
    throw new SlipwayError(
      ErrorCode.Input,
      `--demo reads the example apps from ${examplesDir}, which does not exist: run it in a Slipway checkout or pass --examples <dir>`,
    );
  }
  const dirs = readdirSync(examplesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(examplesDir, entry.name, APP_FILE)))
    .map((entry) => entry.name)
    .sort();
  const apps: DemoApp[] = [];
  for (const dir of dirs) {
    const { source } = appSourceFromDirectory(join(examplesDir, dir));
    const { spec } = parseAppSpec(source.spec.text, source.spec.file, platform.platform);
    await ensure(() => store.createTeam(ci, spec.team));
    await ensure(() =>
      store.createApp(ci, { name: spec.name, teamName: spec.team, description: spec.description ?? "" }),
    );
    apps.push({ dir, name: spec.name, team: spec.team, imageRepository: spec.image.repository });
  }
  return apps;
}

/** Moves every app's releases along its story; resolves when each has gone as far as it can. */
export async function runDemo(
  store: Store,
  apps: readonly DemoApp[],
  options: DemoOptions,
): Promise<DemoResult> {
  const channels = options.platform().platform.platform.channels.map((c) => c.name);
  const channelIndex = (name: string) => {
    const i = channels.indexOf(name);
    return i < 0 ? channels.length - 1 : i;
  };
  let repository: ReturnType<typeof demoRepository> | undefined;
  const repo = () => {
    repository ??= demoRepository(
      options.dataDir,
      options.examplesDir,
      apps.map((a) => a.dir),
    );
    return repository;
  };
  const counts = { deployments: 0 };
  const waiting: string[] = [];
  const step: Stepper = { store, options, counts };

  await Promise.all(
    apps.map(async (app) => {
      const story = stories[app.name] ?? otherApps;
      const reach = story.second === undefined ? [story.first] : [story.first, story.second];
      let newest: Release | undefined;
      for (const [n, channel] of reach.entries()) {
        newest = await ensureRelease(step, app, n, repo);
        for (let c = 0; c <= channelIndex(channel); c++) {
          const stopped = await ensureDeployed(step, app, newest, channels[c]!, channels[c - 1]);
          if (stopped !== undefined) {
            waiting.push(`${app.name} → ${channels[c]}: ${stopped}`);
            return;
          }
        }
      }
      const next = channels[channelIndex(reach.at(-1)!) + 1];
      if (newest === undefined || next === undefined) return;
      if (story.rejected !== undefined) {
        const reason = story.rejected;
        await ensure(() => store.rejectRelease(reviewer, { releaseId: newest.id, targetName: next, reason }));
      }
      const gates = await gatesOf(step, app.name, next);
      if (gates !== undefined) waiting.push(`${app.name} → ${next}: ${gates}`);
    }),
  );
  return { apps: apps.map((a) => a.name), deployments: counts.deployments, waiting: waiting.sort() };
}

interface Stepper {
  readonly store: Store;
  readonly options: DemoOptions;
  readonly counts: { deployments: number };
}

/**
 * The app's `n`th release (0: the first): from the store when it has it (a later start), else
 * created from the demo repository's commits as CI creates them, one image per commit.
 */
async function ensureRelease(
  { store, options }: Stepper,
  app: DemoApp,
  n: number,
  repo: () => ReturnType<typeof demoRepository>,
): Promise<Release> {
  const stored = [...(await store.listReleases(app.name, { limit: 20 })).items].reverse();
  if (stored.length > n) return stored[n]!;
  const { dir, first, second } = await repo();
  const commit = n === 0 ? first : second.get(app.dir)!;
  const digest = `sha256:${sha256Hex(`${app.name} ${commit}`)}`;
  const found = await store.findRelease(app.name, { commitSha: commit, imageDigest: digest });
  if (found !== undefined) return found;
  const { readRelease, recordedCommits } = await import("../delivery/release-from-git.ts");
  const previous = stored.at(-1);
  const read = await readRelease(
    options.sources.repositories,
    await options.sources.platform(),
    { name: app.name, teamName: app.team },
    { repository: dir, path: app.dir, commit, image: `${app.imageRepository}@${digest}` },
    options.sources.show(dir),
    previous,
  );
  const made = await store.createRelease(ci, {
    appName: app.name,
    commitSha: read.commit.commit,
    imageDigest: read.imageDigest,
    specHash: read.specHash,
    secretsHash: read.secretsHash,
    commitTime: read.commit.authoredAt,
    repository: dir,
    path: app.dir,
    commitAuthor: `${read.commit.authorName} <${read.commit.authorEmail}>`,
    commitMessage: read.commit.message,
    committedAt: read.commit.committedAt,
    files: read.files,
    commits: recordedCommits(read.commits, previous?.id),
  });
  return made.release;
}

/**
 * Makes `release` available in `channel`: queued as a new release is (the first channel) or
 * promoted from `from` through the channel's gates, then followed until the engine ends it.
 * Returns why it stopped short (a gate, a failed deployment), or undefined once available there.
 */
async function ensureDeployed(
  { store, options, counts }: Stepper,
  app: DemoApp,
  release: Release,
  channel: string,
  from: string | undefined,
): Promise<string | undefined> {
  for (;;) {
    const { items } = await store.listDeployments({ appName: app.name, targetName: channel }, { limit: 50 });
    const mine = items.find((d) => d.releaseId === release.id);
    if (mine !== undefined) {
      if (!finalStatuses.has(mine.status)) {
        await pause(options.signal);
        continue;
      }
      if (mine.status === "available") return undefined;
      // Available there until a newer release replaced it: it went its way.
      const events = await store.deploymentEvents(mine.id);
      if (events.some((e) => e.status === "available")) return undefined;
      return `deployment ${mine.id} ${mine.status}: ${events.at(-1)?.message ?? ""}`;
    }
    if (from === undefined) {
      // Queued as a new release is for the first channel (autoDeploy), by whoever created it.
      await store.enqueueDeployment(ci, {
        releaseId: release.id,
        targetName: channel,
        cause: { kind: "auto-deploy" },
      });
      counts.deployments++;
      options.wake?.();
      continue;
    }
    // The team's review: a channel that asks for approvals gets one from a releaser other than CI.
    const settings = options.platform().platform.platform.channels.find((c) => c.name === channel);
    if ((settings?.gates?.approvals ?? 0) > 0) {
      await ensure(() => store.recordApproval(reviewer, { releaseId: release.id, targetName: channel }));
    }
    try {
      const evaluation = await evaluatePromotion(context(store, options), {
        app: app.name,
        to: channel,
        release: release.id,
      });
      if (evaluation.candidate.underWay === undefined) {
        if (evaluation.report.state !== "pass") return failing(evaluation.report.gates);
        await store.enqueueDeployment(releaser, {
          releaseId: release.id,
          targetName: channel,
          cause: { kind: "promotion", fromTarget: evaluation.candidate.from, exclusive: true },
        });
        counts.deployments++;
        options.wake?.();
        continue;
      }
    } catch (error) {
      // The promoter took it first (a channel with promote: auto), or something is under way.
      if (!isSlipwayError(error) || error.code !== ErrorCode.Conflict) throw error;
    }
    await pause(options.signal);
  }
}

/** The gates that keep the next promotion into `channel` from passing, or undefined if none. */
async function gatesOf({ store, options }: Stepper, app: string, channel: string) {
  try {
    const { report } = await evaluatePromotion(context(store, options), { app, to: channel });
    return report.state === "pass" ? undefined : failing(report.gates);
  } catch (error) {
    if (isSlipwayError(error)) return error.message.split("\n")[0];
    throw error;
  }
}

function failing(gates: readonly { gate: string; state: string; reason: string }[]): string {
  return gates
    .filter((g) => g.state !== "pass")
    .map((g) => `${g.gate} ${g.state}: ${g.reason}`)
    .join("; ");
}

function context(store: Store, options: DemoOptions): PromotionContext {
  const { platform, customRules } = options.platform();
  return {
    records: store,
    channels: platform.platform.channels,
    platform: async () => platform,
    customRules,
    now: new Date(),
  };
}

function pause(signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", stop);
      resolve();
    }, 50);
    const stop = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", stop, { once: true });
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
