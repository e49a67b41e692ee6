/**
 * The platform's state, behind one capability-named interface. Two implementations share one code
 * path (Kysely): SQLite through `node:sqlite` (the embedded default) and PostgreSQL (production,
 * several replicas). `test/store-contract.ts` is the single test body both must pass.
 *
 * Contracts every implementation keeps:
 * - Lookups of a missing thing throw `SLIPWAY_E_NOT_FOUND`; duplicates throw `SLIPWAY_E_CONFLICT`.
 * - Every mutating method takes the acting principal and appends an audit event in the same
 *   transaction as the change, so there is no change without its audit row (and no audit row for a
 *   change that rolled back).
 * - Releases are immutable. Creating the same (app, commit, digest) again returns the existing
 *   release when it matches and throws a conflict when the spec or secrets hash differs.
 * - Deployments to one (app, target) are serialized: each gets the next sequence number, and
 *   starting one supersedes the previous live one, even with writers in different processes.
 */
import type { DoraDeployment, DoraRelease } from "../delivery/dora.ts";
import type { HistoryItem } from "../delivery/history.ts";
import type { DoraWindowFilter, DoraWindowInputs } from "./dora-queries.ts";
import type { EventFilter } from "./event-queries.ts";
import type { ClaimRequest, JobWrite } from "./job-queries.ts";
import type { DeploymentCause, LineStopRecord, NewDeploymentCause } from "./promotion-queries.ts";
import type {
  ApiToken,
  App,
  Approval,
  AuditEvent,
  ClaimedJob,
  Deployment,
  DeploymentEvent,
  DeploymentStatus,
  Job,
  Membership,
  Page,
  PageRequest,
  Release,
  Role,
  SnapshotFile,
  StatusEvent,
  Target,
  TargetKind,
  Team,
  TokenScope,
  User,
} from "./records.ts";
import type { NewReleaseCommits, ReleaseCommitRange } from "./release-commit-queries.ts";
import type { StoredSnapshot } from "./snapshot-queries.ts";

/** Who did it, for audit rows and `createdBy` columns. */
export interface Actor {
  readonly userId: string;
  readonly subject: string;
}

/** The system itself (migrations, bootstrap), for changes no person asked for. */
export const systemActor: Actor = { userId: "system", subject: "system" };

export interface NewRelease {
  readonly appName: string;
  readonly commitSha: string;
  readonly imageDigest: string;
  readonly specHash: string;
  readonly secretsHash: string;
  readonly commitTime: string | null;
  /** Where it was read from and the commit's record; null (or absent) when not read from git. */
  readonly repository?: string | null;
  readonly path?: string | null;
  readonly commitAuthor?: string | null;
  readonly commitMessage?: string | null;
  readonly committedAt?: string | null;
  /**
   * The release's snapshot (slipway.yaml and its secret files as SOPS ciphertext), stored
   * content-addressed in the same transaction as the release.
   */
  readonly files?: readonly SnapshotFile[];
  /**
   * The commits the release brings (those since the app's previous release), stored in the same
   * transaction and never changed. Absent: the release brings just its own commit, for readers.
   */
  readonly commits?: NewReleaseCommits;
}

export interface NewApiToken {
  readonly userId: string;
  readonly name: string;
  readonly secretHash: string;
  readonly expiresAt: string | null;
  /** Default `api`. */
  readonly scope?: TokenScope;
  /**
   * A fixed id makes creation happen at most once across replicas (the bootstrap token): a second
   * attempt is a conflict. Usually omitted.
   */
  readonly id?: string;
  /** The token it is minted with, if any: revoking that one revokes this one. */
  readonly mintedBy?: string | undefined;
}

export interface AuditFilter {
  /** Only events about these teams; undefined means every event (platform administrators). */
  readonly teams?: readonly string[] | undefined;
}

export interface Store {
  /** Cheap round trip for `/readyz`. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * An opaque value that differs whenever committed state may have changed: through this store,
   * another process on the same SQLite file, or another replica on the same PostgreSQL database.
   * Undefined while that cannot be known. Read caches key on it (`cached-store.ts`).
   */
  stateVersion(): string | undefined;
  /**
   * Like `stateVersion`, but moves only when teams, users, memberships or API tokens may have
   * changed: who a token belongs to and what it may do can be cached on it while deployments move.
   */
  identityVersion(): string | undefined;
  /** Like `stateVersion`, but moves only when teams, apps or targets may have changed. */
  catalogVersion(): string | undefined;

  createTeam(actor: Actor, name: string): Promise<Team>;
  getTeam(name: string): Promise<Team>;
  listTeams(page: PageRequest): Promise<Page<Team>>;

  /** Creates the user on first sight (OIDC login, bootstrap); later calls return the same user. */
  ensureUser(actor: Actor, input: { subject: string; displayName: string; isAdmin?: boolean }): Promise<User>;
  getUser(id: string): Promise<User>;
  findUserBySubject(subject: string): Promise<User | undefined>;
  countUsers(): Promise<number>;
  /** Sets a user's role in a team; `null` removes the membership. */
  setMembership(actor: Actor, teamName: string, userId: string, role: Role | null): Promise<void>;
  listMemberships(userId: string): Promise<readonly Membership[]>;

  /** Stores a token by the SHA-256 of its secret; the secret itself never reaches the store. */
  createApiToken(actor: Actor, input: NewApiToken): Promise<ApiToken>;
  /** The live or dead token with this hash; callers check expiry and revocation. */
  findApiTokenByHash(secretHash: string): Promise<ApiToken | undefined>;
  listApiTokens(userId: string, page: PageRequest): Promise<Page<ApiToken>>;
  getApiToken(id: string): Promise<ApiToken>;
  revokeApiToken(actor: Actor, id: string): Promise<ApiToken>;
  /** The nearest revoked token among those `id` was minted with, through any number of mints. */
  revokedAncestor(id: string): Promise<ApiToken | undefined>;

  createApp(actor: Actor, input: { name: string; teamName: string; description: string }): Promise<App>;
  getApp(name: string): Promise<App>;
  /** Apps of the given teams (undefined: all apps), by name. */
  listApps(filter: { teams?: readonly string[] | undefined }, page: PageRequest): Promise<Page<App>>;
  /** Fails with a conflict when `expectedVersion` is not the stored version: no lost updates. */
  updateApp(
    actor: Actor,
    name: string,
    input: { expectedVersion: number; description: string },
  ): Promise<App>;

  createTarget(actor: Actor, input: { name: string; kind: TargetKind }): Promise<Target>;
  getTarget(name: string): Promise<Target>;
  listTargets(page: PageRequest): Promise<Page<Target>>;

  createRelease(actor: Actor, input: NewRelease): Promise<{ release: Release; created: boolean }>;
  getRelease(id: string): Promise<Release>;
  /** Newest first. */
  listReleases(appName: string, page: PageRequest): Promise<Page<Release>>;
  /** The files stored with a release, each checked against its hash; not-found without a snapshot. */
  getReleaseSnapshot(releaseId: string): Promise<StoredSnapshot>;
  /** The commits these releases bring, as recorded; releases recorded without them are absent. */
  listReleaseCommits(releaseIds: readonly string[]): Promise<readonly ReleaseCommitRange[]>;
  /** The release of an app at (commit, digest), if it exists. */
  findRelease(
    appName: string,
    identity: { commitSha: string; imageDigest: string },
  ): Promise<Release | undefined>;

  startDeployment(actor: Actor, input: { releaseId: string; targetName: string }): Promise<Deployment>;
  recordDeploymentStatus(
    actor: Actor,
    input: { deploymentId: string; status: DeploymentStatus; message: string },
  ): Promise<Deployment>;
  getDeployment(id: string): Promise<Deployment>;
  /** Newest first. */
  listDeployments(
    filter: { appName: string; targetName?: string | undefined },
    page: PageRequest,
  ): Promise<Page<Deployment>>;
  deploymentEvents(deploymentId: string): Promise<readonly DeploymentEvent[]>;

  /** An app's releases and deployments as one timeline, newest first; history is never pruned. */
  listHistory(appName: string, page: PageRequest): Promise<Page<HistoryItem>>;
  /**
   * Every deployment to one target, of one app or of a team's apps, started before `until`, with
   * its release's commit and its status changes (only those before `until`): what DORA counts.
   */
  listDeliveryRecords(filter: {
    appName?: string | undefined;
    teamName?: string | undefined;
    targetName: string;
    until: string;
  }): Promise<readonly DoraDeployment[]>;
  /**
   * Every release of one app, or of a team's apps, recorded before `until`, with the commits it
   * brought and the earlier release it holds: which commits a deployment brings (DORA's lead time).
   * Reads every commit of the scope; a DORA question reads `readDoraWindow` instead.
   */
  listDeliveryReleases(filter: {
    appName?: string | undefined;
    teamName?: string | undefined;
    until: string;
  }): Promise<readonly DoraRelease[]>;
  /**
   * What one DORA question over `[from, until)` needs: the deployments to `targetName` (as
   * `listDeliveryRecords`) and, of the releases' commits, only those the window's lead time can
   * count (`dora-queries.ts`); `computeDora` gives the same report from them as from every release.
   */
  readDoraWindow(filter: DoraWindowFilter): Promise<DoraWindowInputs>;

  /**
   * Like `startDeployment`, and queues a job the engine runs (`src/engine/`). Jobs: at most one
   * running per (app, target), claimed with an expiring lease and a fence that every engine write
   * names (`job-queries.ts`, ADR 0010).
   */
  enqueueDeployment(
    actor: Actor,
    input: { releaseId: string; targetName: string; cause?: NewDeploymentCause | undefined },
  ): Promise<Deployment>;
  claimJobs(request: ClaimRequest): Promise<readonly ClaimedJob[]>;
  /** False when the claim no longer holds the job: stop working on it. */
  renewJobLease(input: JobWrite & { leaseMs: number }): Promise<boolean>;
  /** The engine's status write, refused (conflict, `lost`) when the claim no longer holds the job. */
  recordJobStatus(
    input: JobWrite & { status: DeploymentStatus; message: string; leaseMs: number },
  ): Promise<Deployment>;
  releaseJob(input: JobWrite): Promise<void>;
  getJob(deploymentId: string): Promise<Job | undefined>;
  /**
   * Numbers the committed deployment events that have none yet (after every earlier number);
   * returns how many. Event streams call it before they read.
   */
  numberEvents(): Promise<number>;
  /** Numbered deployment events, oldest first. */
  listEvents(filter: EventFilter): Promise<readonly StatusEvent[]>;
  /** The newest event's number; 0 when there is none. */
  lastEventSeq(): Promise<number>;

  recordApproval(actor: Actor, input: { releaseId: string; targetName: string }): Promise<Approval>;
  listApprovals(releaseId: string): Promise<readonly Approval[]>;

  /** Promotion and rollback (`promotion-queries.ts`): why each of an app's deployments started. */
  listDeploymentCauses(appName: string): Promise<readonly DeploymentCause[]>;
  /** A releaser's rejection of a release for a target, with the reason; audited. */
  rejectRelease(
    actor: Actor,
    input: { releaseId: string; targetName: string; reason: string },
  ): Promise<Approval>;
  /** The platform-wide line stop in force, if any. */
  getLineStop(): Promise<LineStopRecord | null>;
  /** Stops the line with a reason, or resumes it (`null`); audited. */
  setLineStop(actor: Actor, input: { reason: string } | null): Promise<LineStopRecord | null>;

  /** Append-only: there is deliberately no update or delete. Newest first. */
  listAudit(filter: AuditFilter, page: PageRequest): Promise<Page<AuditEvent>>;
}
