/**
 * Channels, promotion and rollback as decisions over records: which channel comes before which,
 * what a channel runs, which release a promotion or a rollback deploys and why one is refused.
 * Pure: the records arrive as data (`promotion-facts.ts` reads them through a port), and every
 * refusal is a typed error that names what to do, raised before anything is written.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { ChannelConfig } from "../spec/platform-schema.ts";
import {
  type ApprovalFact,
  type ChannelGates,
  channelGates,
  evaluateGates,
  type GateResult,
  type GateState,
  type LineStop,
  overallState,
  type PolicyFact,
} from "./gates.ts";
import type { ChannelHealth } from "./live-health.ts";

export interface ChannelSettings {
  readonly name: string;
  readonly index: number;
  /** The channel promotions into this one come from; undefined for the first. */
  readonly previous: string | undefined;
  readonly autoDeploy: boolean;
  readonly promote: "manual" | "auto";
  readonly rollbackOnFailure: boolean;
  readonly gates: ChannelGates;
}

type Channels = readonly Pick<
  ChannelConfig,
  "name" | "autoDeploy" | "promote" | "rollbackOnFailure" | "gates"
>[];

/** A channel's settings with their defaults; an unknown name is refused with the list. */
export function channelSettings(channels: Channels, name: string): ChannelSettings {
  const index = channels.findIndex((c) => c.name === name);
  const channel = channels[index];
  if (channel === undefined) {
    throw new SlipwayError(
      ErrorCode.Input,
      `"${name}" is not a channel of the platform; its channels, in promotion order: ${channels.map((c) => c.name).join(" → ")}`,
      { details: { channel: name, channels: channels.map((c) => c.name) } },
    );
  }
  return {
    name,
    index,
    previous: index === 0 ? undefined : channels[index - 1]!.name,
    autoDeploy: channel.autoDeploy ?? index === 0,
    promote: channel.promote ?? "manual",
    rollbackOnFailure: channel.rollbackOnFailure ?? false,
    gates: channelGates(channel),
  };
}

export function allChannelSettings(channels: Channels): ChannelSettings[] {
  return channels.map((c) => channelSettings(channels, c.name));
}

/** A deployment as promotion reads it (the store's record fits). */
export interface DeploymentRecord {
  readonly id: string;
  readonly targetName: string;
  readonly releaseId: string;
  readonly sequence: number;
  readonly status: string;
  readonly createdBy: string;
  readonly startedAt: string;
  readonly availableAt: string | null;
  readonly updatedAt: string;
}

/** A release as promotion reads it (the store's record fits). */
export interface ReleaseRecord {
  readonly id: string;
  readonly appName: string;
  readonly commitSha: string;
  readonly imageDigest: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly commitTime: string | null;
  readonly commitAuthor: string | null;
  readonly commitMessage: string | null;
}

const underWay = new Set(["pending", "rendering", "applying", "progressing"]);

/** What a channel holds, from its deployments newest first. */
export interface ChannelState {
  /** The deployment serving the channel: the newest available one. */
  readonly live: DeploymentRecord | undefined;
  /** The newest deployment, whatever its state. */
  readonly latest: DeploymentRecord | undefined;
  /** A deployment still running or queued. */
  readonly underWay: DeploymentRecord | undefined;
}

export function channelState(newestFirst: readonly DeploymentRecord[]): ChannelState {
  return {
    live: newestFirst.find((d) => d.status === "available"),
    latest: newestFirst[0],
    underWay: newestFirst.find((d) => underWay.has(d.status)),
  };
}

export interface PromotionFacts {
  readonly app: { readonly name: string; readonly teamName: string };
  readonly channels: Channels;
  readonly to: string;
  /** The release the caller named, if any: it must be the one available in the channel before. */
  readonly release?: string | undefined;
  /** Deployments to the channel before, and to the destination, newest first. */
  readonly fromDeployments: readonly DeploymentRecord[];
  readonly toDeployments: readonly DeploymentRecord[];
  readonly now: Date;
  readonly lineStop: LineStop | null;
}

export interface PromotionCandidate {
  readonly from: string;
  readonly to: string;
  readonly settings: ChannelSettings;
  /** The source channel's live deployment: its release is what is promoted. */
  readonly source: DeploymentRecord;
  /** The destination's live deployment, if any: what the promotion replaces. */
  readonly current: DeploymentRecord | undefined;
  readonly underWay: DeploymentRecord | undefined;
}

/**
 * Which release a promotion into `to` deploys: the one available in the channel before. Refused
 * (changing nothing) for an unknown channel, the first channel, nothing available before it, and a
 * named release that is not the one available there.
 */
export function promotionCandidate(facts: PromotionFacts): PromotionCandidate {
  const settings = channelSettings(facts.channels, facts.to);
  const from = settings.previous;
  if (from === undefined) {
    throw new SlipwayError(
      ErrorCode.Input,
      `${facts.to} is the first channel: nothing is promoted into it; a new release deploys there by itself (autoDeploy) or with POST /api/v1/apps/${facts.app.name}/deployments`,
      { details: { channel: facts.to } },
    );
  }
  const source = channelState(facts.fromDeployments);
  if (source.live === undefined) {
    const latest = source.latest;
    throw new SlipwayError(
      ErrorCode.Conflict,
      `nothing of ${facts.app.name} is available in ${from} to promote to ${facts.to}` +
        (latest === undefined
          ? `: ${from} has never been deployed`
          : `: its latest deployment there, ${latest.id} (release ${latest.releaseId}), is ${latest.status}`),
      { details: { app: facts.app.name, from, to: facts.to } },
    );
  }
  if (facts.release !== undefined && facts.release !== source.live.releaseId) {
    throw new SlipwayError(
      ErrorCode.Conflict,
      `release ${facts.release} is not the one available in ${from}: ${from} runs release ${source.live.releaseId} (${source.live.id}), and a promotion deploys exactly that one`,
      { details: { release: facts.release, available: source.live.releaseId, from } },
    );
  }
  const destination = channelState(facts.toDeployments);
  return {
    from,
    to: facts.to,
    settings,
    source: source.live,
    current: destination.live,
    underWay: destination.underWay,
  };
}

export interface GateReport {
  readonly state: GateState;
  readonly gates: readonly GateResult[];
}

/** The destination's gates for the candidate's release. */
export function promotionGates(
  candidate: PromotionCandidate,
  facts: {
    readonly app: { readonly teamName: string };
    readonly release: { readonly id: string; readonly createdBy: string };
    readonly fromDeployments: readonly DeploymentRecord[];
    readonly approvals: readonly ApprovalFact[];
    readonly policy: PolicyFact | undefined;
    readonly lineStop: LineStop | null;
    readonly now: Date;
    /** How the channel before runs now; undefined: judged by the record alone. */
    readonly health?: ChannelHealth | undefined;
  },
): GateReport {
  const gates = evaluateGates(candidate.settings.gates, {
    now: facts.now,
    from: candidate.from,
    to: candidate.to,
    team: facts.app.teamName,
    release: facts.release,
    live: candidate.source,
    history: facts.fromDeployments.filter((d) => d.releaseId === facts.release.id),
    health: facts.health,
    approvals: facts.approvals,
    policy: facts.policy,
    lineStop: facts.lineStop,
  });
  return { state: overallState(gates), gates };
}

/** The refusal of a promotion whose gates do not all pass: each one that does not, and why. */
export function gatesRefusal(app: string, to: string, report: GateReport): SlipwayError {
  const open = report.gates.filter((g) => g.state !== "pass");
  return new SlipwayError(
    ErrorCode.Conflict,
    `promotion of ${app} to ${to} is held by its gates: ${open.map((g) => `${g.gate} ${g.state} — ${g.reason}`).join("; ")}`,
    { details: { app, to, state: report.state, gates: report.gates } },
  );
}

/**
 * What a rollback of `channel` deploys: the named release (it must have been available there
 * before), or the release available there before the one that is live now (or before the last,
 * failed, one when nothing is live).
 */
export function rollbackTarget(
  channel: string,
  newestFirst: readonly DeploymentRecord[],
  named: string | undefined,
): { releaseId: string; undoes: DeploymentRecord; restores: DeploymentRecord } {
  const latest = newestFirst[0];
  if (latest === undefined) {
    throw new SlipwayError(
      ErrorCode.Conflict,
      `nothing was ever deployed to ${channel}: there is nothing to roll back`,
      {
        details: { channel },
      },
    );
  }
  const state = channelState(newestFirst);
  // What is undone: the live deployment, or the newest one if it failed (nothing is live then).
  const undoes = state.live ?? latest;
  const wasAvailable = newestFirst.filter((d) => d.availableAt !== null && d.sequence < undoes.sequence);
  if (named !== undefined) {
    const restores = newestFirst.find((d) => d.releaseId === named && d.availableAt !== null);
    if (restores === undefined) {
      throw new SlipwayError(
        ErrorCode.Conflict,
        `release ${named} was never available in ${channel}, so it is not rolled back to; releases that were: ${[...new Set(newestFirst.filter((d) => d.availableAt !== null).map((d) => d.releaseId))].join(", ") || "none"}`,
        { details: { channel, release: named } },
      );
    }
    if (state.live !== undefined && state.live.releaseId === named) {
      throw new SlipwayError(
        ErrorCode.Conflict,
        `${channel} already runs release ${named} (${state.live.id})`,
        {
          details: { channel, release: named },
        },
      );
    }
    return { releaseId: named, undoes, restores };
  }
  const restores = wasAvailable.find((d) => d.releaseId !== undoes.releaseId);
  if (restores === undefined) {
    throw new SlipwayError(
      ErrorCode.Conflict,
      `no release was available in ${channel} before ${undoes.id} (release ${undoes.releaseId}): there is nothing to roll back to`,
      { details: { channel, deployment: undoes.id } },
    );
  }
  return { releaseId: restores.releaseId, undoes, restores };
}

/** Releases made after `since` up to and including `until` (newest first): what a promotion brings. */
export function releasesBetween(
  newestFirst: readonly ReleaseRecord[],
  since: ReleaseRecord | undefined,
  until: ReleaseRecord,
): ReleaseRecord[] {
  return newestFirst.filter(
    (r) => r.createdAt <= until.createdAt && (since === undefined || r.createdAt > since.createdAt),
  );
}
