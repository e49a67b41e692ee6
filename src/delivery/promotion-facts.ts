/**
 * Gathers what a promotion decision needs through a port the store fits (deployments of the two
 * channels, the release and its answers, the line stop, the release's snapshot), then decides
 * with the pure functions of `promotion.ts` and `gates.ts`. The server's routes and the engine's
 * promoter both come through here, so a manual and an automatic promotion see the same gates.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { Rule } from "../policy/types.ts";
import type { LoadedPlatform } from "../spec/parse.ts";
import type { ChannelConfig } from "../spec/platform-schema.ts";
import type { LineStop } from "./gates.ts";
import type { ChannelHealth, LiveHealth } from "./live-health.ts";
import {
  channelSettings,
  type DeploymentRecord,
  type GateReport,
  type PromotionCandidate,
  promotionCandidate,
  promotionGates,
  type ReleaseRecord,
  releasesBetween,
} from "./promotion.ts";
import { manifestDiff, type RenderedForChannel, renderForChannel } from "./promotion-render.ts";
import { loadReleaseSnapshot, type SnapshotSource } from "./release-snapshot.ts";

export interface PromotionRecords extends SnapshotSource {
  getApp(name: string): Promise<{ readonly name: string; readonly teamName: string }>;
  getRelease(id: string): Promise<ReleaseRecord>;
  listDeployments(
    filter: { appName: string; targetName?: string | undefined },
    page: { limit: number },
  ): Promise<{ readonly items: readonly DeploymentRecord[] }>;
  /** Newest first, a page at a time. */
  listReleases(
    appName: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<{ readonly items: readonly ReleaseRecord[]; readonly nextCursor: string | null }>;
  listApprovals(releaseId: string): Promise<
    readonly {
      readonly targetName: string;
      readonly approvedBy: string;
      readonly createdAt: string;
      readonly decision: "approved" | "rejected";
      readonly reason: string | null;
    }[]
  >;
  getLineStop(): Promise<LineStop | null>;
  /** The commits releases bring, as recorded with them; releases without a record are absent. */
  listReleaseCommits(releaseIds: readonly string[]): Promise<
    readonly {
      readonly releaseId: string;
      readonly items: readonly {
        readonly sha: string;
        readonly author: string;
        readonly authoredAt: string;
        readonly subject: string;
      }[];
      readonly total: number;
    }[]
  >;
  /** Who may approve now: a user by subject and their team roles. */
  findUserBySubject(subject: string): Promise<{ readonly id: string; readonly isAdmin: boolean } | undefined>;
  listMemberships(
    userId: string,
  ): Promise<
    readonly { readonly teamName: string; readonly role: "viewer" | "developer" | "releaser" | "admin" }[]
  >;
}

export interface PromotionContext {
  readonly records: PromotionRecords;
  readonly channels: readonly ChannelConfig[];
  /** The full platform, to render a release for the policy gate and the dry run; absent: not checked. */
  readonly platform?: (() => Promise<LoadedPlatform>) | undefined;
  /** The platform's custom policy rules, so the policy gate checks what a deploy would. */
  readonly customRules?: readonly Rule[];
  /** How a channel runs now (its cluster read live); absent: the gates judge by the record. */
  readonly liveHealth?: LiveHealth | undefined;
  readonly now: Date;
}

/**
 * What a server hands its promotion routes beside the store: the custom policy rules of the
 * platform in use (they follow reloads) and the live view of channels.
 */
export interface GatePorts {
  readonly customRules: () => readonly Rule[];
  readonly liveHealth?: LiveHealth | undefined;
}

/** How far back a channel's deployments are read: what it runs now and what ran before. */
const depth = 50;

export function channelDeployments(
  records: PromotionRecords,
  app: string,
  channel: string,
): Promise<readonly DeploymentRecord[]> {
  return records
    .listDeployments({ appName: app, targetName: channel }, { limit: depth })
    .then((p) => p.items);
}

export interface PromotionEvaluation {
  readonly app: { readonly name: string; readonly teamName: string };
  readonly candidate: PromotionCandidate;
  readonly release: ReleaseRecord;
  readonly report: GateReport;
  readonly rendered: RenderedForChannel | undefined;
}

/** The release a promotion of `app` into `to` would deploy, and its gates. Throws the refusals. */
export async function evaluatePromotion(
  ctx: PromotionContext,
  input: { app: string; to: string; release?: string | undefined },
): Promise<PromotionEvaluation> {
  const app = await ctx.records.getApp(input.app);
  if (input.release !== undefined) {
    const named = await ctx.records.getRelease(input.release);
    if (named.appName !== app.name) {
      throw new SlipwayError(
        ErrorCode.Input,
        `release ${named.id} belongs to ${named.appName}, not ${app.name}: a promotion moves a release of the app it names`,
        { details: { release: named.id, app: named.appName } },
      );
    }
  }
  // Validates the channel first, so an unknown one is refused before anything is read.
  const settings = channelSettings(ctx.channels, input.to);
  const from = settings.previous;
  const { gates } = settings;
  const [fromDeployments, toDeployments, lineStop] = await Promise.all([
    from === undefined ? Promise.resolve([]) : channelDeployments(ctx.records, app.name, from),
    channelDeployments(ctx.records, app.name, input.to),
    ctx.records.getLineStop(),
  ]);
  const candidate = promotionCandidate({
    app,
    channels: ctx.channels,
    to: input.to,
    release: input.release,
    fromDeployments,
    toDeployments,
    now: ctx.now,
    lineStop,
  });
  // The live read of the channel before is the slowest fact (cluster round trips): it starts as
  // soon as there is a release to promote, beside the store's reads and the render, not after
  // them. Each is marked handled: a refusal may come before either is awaited.
  const health =
    gates.health || gates.maxRestarts !== null
      ? sourceHealth(ctx, { app: app.name, team: app.teamName, channel: candidate.from })
      : undefined;
  health?.catch(() => {});
  const release = await ctx.records.getRelease(candidate.source.releaseId);
  const rendering = gates.policy ? renderRelease(ctx, release, input.to) : undefined;
  rendering?.catch(() => {});
  const answers = (await ctx.records.listApprovals(release.id)).filter((a) => a.targetName === input.to);
  const standing = await mayApproveNow(
    ctx.records,
    answers.filter((a) => a.decision === "approved").map((a) => a.approvedBy),
    app.teamName,
  );
  const approvals = answers.map((a) => ({
    by: a.approvedBy,
    decision: a.decision,
    reason: a.reason,
    at: a.createdAt,
    ...(a.decision === "approved" && !standing.has(a.approvedBy) ? { lapsed: true } : {}),
  }));
  const [rendered, healthNow] = await Promise.all([rendering, health]);
  const report = promotionGates(candidate, {
    app,
    release,
    fromDeployments,
    approvals,
    policy: rendered?.policy,
    lineStop,
    now: ctx.now,
    health: healthNow,
  });
  return { app, candidate, release, report, rendered };
}

function sourceHealth(
  ctx: PromotionContext,
  query: { app: string; team: string; channel: string },
): Promise<ChannelHealth | undefined> {
  return ctx.liveHealth === undefined ? Promise.resolve(undefined) : ctx.liveHealth.channelHealth(query);
}

/**
 * Of these approvers, those who may approve for `team` now, as the approvals route would let
 * them: a releaser (or admin) of the team, or a platform administrator. An approval given by
 * someone since removed from the team or demoted no longer opens the gate.
 */
async function mayApproveNow(
  records: PromotionRecords,
  subjects: readonly string[],
  team: string,
): Promise<ReadonlySet<string>> {
  const may = new Set<string>();
  for (const subject of new Set(subjects)) {
    const user = await records.findUserBySubject(subject);
    // No user behind it: recorded by the server itself (the demo's reviewer), never through the
    // API, whose approvals always name a signed-in user. Users are never deleted.
    if (user === undefined || user.isAdmin) {
      may.add(subject);
      continue;
    }
    const role = (await records.listMemberships(user.id)).find((m) => m.teamName === team)?.role;
    if (role === "releaser" || role === "admin") may.add(subject);
  }
  return may;
}

async function renderRelease(
  ctx: PromotionContext,
  release: ReleaseRecord,
  channel: string,
): Promise<RenderedForChannel> {
  const unchecked = (error: string): RenderedForChannel => ({ objects: [], policy: { error } });
  if (ctx.platform === undefined) return unchecked("this server does not render releases");
  let specText: string;
  try {
    specText = (await loadReleaseSnapshot(ctx.records, release.id)).specText;
  } catch (error) {
    return unchecked(
      `release ${release.id} has no snapshot to render (${error instanceof Error ? error.message : String(error)}); create releases from git`,
    );
  }
  return renderForChannel({ ...release, specText }, channel, {
    platform: await ctx.platform(),
    ...(ctx.customRules === undefined ? {} : { customRules: ctx.customRules }),
    today: ctx.now.toISOString().slice(0, 10),
  });
}

/** A commit the promotion brings into the channel. */
export interface PreviewCommit {
  /** The release that brought it. */
  readonly releaseId: string;
  readonly sha: string;
  readonly author: string | null;
  /** When it was written (its author date); null when its release did not say. */
  readonly time: string | null;
  /** The first line of its message. */
  readonly subject: string | null;
}

export interface PromotionPreview {
  /** The releases the promotion brings into the channel, newest first. */
  readonly releases: readonly ReleaseRecord[];
  /**
   * The commits those releases bring, newest first (the newest release's first, each in git's
   * order), each once. A release recorded without its commits brings its own commit.
   */
  readonly commits: readonly PreviewCommit[];
  /** Commits the releases brought past those recorded with them (a release records at most 1,000). */
  readonly commitsNotShown: number;
  /** The channel's rendered manifests now → after, secret values redacted; "" when equal. */
  readonly diff: string;
  readonly current: ReleaseRecord | undefined;
}

/**
 * The app's releases newer than `since`, newest first: paged to the end, not one page, so a channel
 * left behind by hundreds of releases still sees every commit it gets.
 */
async function releasesSince(
  ctx: PromotionContext,
  appName: string,
  since: ReleaseRecord,
): Promise<ReleaseRecord[]> {
  const found: ReleaseRecord[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await ctx.records.listReleases(appName, { limit: 200, ...(cursor ? { cursor } : {}) });
    found.push(...page.items);
    const last = page.items.at(-1);
    if (page.nextCursor === null || last === undefined || last.createdAt <= since.createdAt) return found;
    cursor = page.nextCursor;
  }
}

/** What `promote --dry-run` shows beside the gates. */
export async function previewPromotion(
  ctx: PromotionContext,
  evaluation: PromotionEvaluation,
): Promise<PromotionPreview> {
  const { candidate, release } = evaluation;
  const current =
    candidate.current === undefined ? undefined : await ctx.records.getRelease(candidate.current.releaseId);
  const after = evaluation.rendered ?? (await renderRelease(ctx, release, candidate.to));
  const before = current === undefined ? undefined : await renderRelease(ctx, current, candidate.to);
  // A channel that never ran a release gets the app's whole history: what the candidate brought
  // (its recorded commits) is shown, not every release the app ever had.
  const releases =
    current === undefined
      ? [release]
      : releasesBetween(await releasesSince(ctx, evaluation.app.name, current), current, release);
  const recorded = new Map(
    (await ctx.records.listReleaseCommits(releases.map((r) => r.id))).map((r) => [r.releaseId, r]),
  );
  const seen = new Set<string>();
  const commits: PreviewCommit[] = [];
  let commitsNotShown = 0;
  for (const r of releases) {
    const range = recorded.get(r.id);
    const brought: PreviewCommit[] =
      range === undefined
        ? [
            {
              releaseId: r.id,
              sha: r.commitSha,
              author: r.commitAuthor,
              time: r.commitTime,
              subject: r.commitMessage === null ? null : r.commitMessage.split("\n", 1)[0]!,
            },
          ]
        : range.items.map((c) => ({
            releaseId: r.id,
            sha: c.sha,
            author: c.author,
            time: c.authoredAt,
            subject: c.subject,
          }));
    if (range !== undefined) commitsNotShown += range.total - range.items.length;
    for (const c of brought) {
      if (seen.has(c.sha)) continue;
      seen.add(c.sha);
      commits.push(c);
    }
  }
  return {
    releases,
    commits,
    commitsNotShown,
    diff: manifestDiff(before?.objects ?? [], after.objects),
    current,
  };
}
