/**
 * The one `Store` implementation, over Kysely; `openSqliteStore` and `openPostgresStore` differ
 * only in the dialect they hand it and how their driver reports a unique violation. Keeping one
 * code path is the point: the contract suite then proves both databases with the same queries.
 */
import { type Kysely, sql } from "kysely";
import * as apps from "./app-queries.ts";
import { listAudit } from "./audit.ts";
import type { ChangeScope } from "./change-scopes.ts";
import { CompiledQueries } from "./compiled.ts";
import type { StoreContext } from "./context.ts";
import * as deployments from "./deployment-queries.ts";
import * as dora from "./dora-queries.ts";
import type { EventFilter } from "./event-queries.ts";
import * as events from "./event-queries.ts";
import * as history from "./history-queries.ts";
import * as identity from "./identity-queries.ts";
import type { ClaimRequest, JobWrite } from "./job-queries.ts";
import * as jobs from "./job-queries.ts";
import type { Dialect } from "./migrations.ts";
import type { NewDeploymentCause } from "./promotion-queries.ts";
import * as promotion from "./promotion-queries.ts";
import type { DeploymentStatus, PageRequest, Role, TargetKind } from "./records.ts";
import * as releaseCommits from "./release-commit-queries.ts";
import * as releases from "./release-queries.ts";
import * as snapshots from "./snapshot-queries.ts";
import type { Actor, AuditFilter, NewApiToken, NewRelease, Store } from "./store.ts";
import type { Tables } from "./tables.ts";

export interface SqlStoreOptions {
  readonly db: Kysely<Tables>;
  readonly dialect: Dialect;
  readonly isUniqueViolation: (error: unknown) => boolean;
  /** Injected so tests can control time (token expiry, timestamps). */
  readonly now?: () => Date;
  /** See `Store.stateVersion`: the dialect's way of noticing commits. */
  readonly changeVersion: () => string | undefined;
  /**
   * See `Store.identityVersion` and `catalogVersion`: the dialect's way of noticing commits to a
   * scope's tables by others (this store counts its own).
   */
  readonly scopeChangeVersion: (scope: ChangeScope) => string | undefined;
  /** Runs after the database is closed (the change feed's connection). */
  readonly onClose?: () => Promise<void>;
}

export class SqlStore implements Store {
  readonly dialect: Dialect;
  readonly #ctx: StoreContext;
  readonly #changeVersion: () => string | undefined;
  readonly #scopeChangeVersion: (scope: ChangeScope) => string | undefined;
  readonly #scopeWrites: Record<ChangeScope, number> = { identity: 0, catalog: 0 };
  readonly #onClose: (() => Promise<void>) | undefined;

  constructor(options: SqlStoreOptions) {
    const clock = options.now ?? (() => new Date());
    this.dialect = options.dialect;
    this.#changeVersion = options.changeVersion;
    this.#scopeChangeVersion = options.scopeChangeVersion;
    this.#onClose = options.onClose;
    this.#ctx = {
      db: options.db,
      compiled: new CompiledQueries(options.db),
      dialect: options.dialect,
      now: () => clock().toISOString(),
      isUniqueViolation: options.isUniqueViolation,
    };
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#ctx.db);
  }
  async close(): Promise<void> {
    try {
      await this.#ctx.db.destroy();
    } finally {
      await this.#onClose?.();
    }
  }
  stateVersion(): string | undefined {
    return this.#changeVersion();
  }
  identityVersion(): string | undefined {
    return this.#scopeVersion("identity");
  }
  catalogVersion(): string | undefined {
    return this.#scopeVersion("catalog");
  }
  #scopeVersion(scope: ChangeScope): string | undefined {
    const others = this.#scopeChangeVersion(scope);
    return others === undefined ? undefined : `${others}/${this.#scopeWrites[scope]}`;
  }

  /**
   * A write to the tables of `scopes` (`change-scopes.ts`): moves their versions at once. Every
   * write to those tables goes through here; the read cache trusts it.
   */
  async #scopedWrite<T>(scopes: readonly ChangeScope[], change: () => Promise<T>): Promise<T> {
    try {
      return await change();
    } finally {
      // Also after a failure: it may have failed after its commit (a lost connection).
      for (const scope of scopes) this.#scopeWrites[scope]++;
    }
  }

  createTeam = (actor: Actor, name: string) =>
    this.#scopedWrite(["identity", "catalog"], () => identity.createTeam(this.#ctx, actor, name));
  getTeam = (name: string) => identity.getTeam(this.#ctx, name);
  listTeams = (page: PageRequest) => identity.listTeams(this.#ctx, page);
  ensureUser = (actor: Actor, input: { subject: string; displayName: string; isAdmin?: boolean }) =>
    this.#scopedWrite(["identity"], () => identity.ensureUser(this.#ctx, actor, input));
  getUser = (id: string) => identity.getUser(this.#ctx, id);
  findUserBySubject = (subject: string) => identity.findUserBySubject(this.#ctx, subject);
  countUsers = () => identity.countUsers(this.#ctx);
  setMembership = (actor: Actor, teamName: string, userId: string, role: Role | null) =>
    this.#scopedWrite(["identity"], () => identity.setMembership(this.#ctx, actor, teamName, userId, role));
  listMemberships = (userId: string) => identity.listMemberships(this.#ctx, userId);
  createApiToken = (actor: Actor, input: NewApiToken) =>
    this.#scopedWrite(["identity"], () => identity.createApiToken(this.#ctx, actor, input));
  findApiTokenByHash = (secretHash: string) => identity.findApiTokenByHash(this.#ctx, secretHash);
  listApiTokens = (userId: string, page: PageRequest) => identity.listApiTokens(this.#ctx, userId, page);
  getApiToken = (id: string) => identity.getApiToken(this.#ctx, id);
  revokeApiToken = (actor: Actor, id: string) =>
    this.#scopedWrite(["identity"], () => identity.revokeApiToken(this.#ctx, actor, id));
  revokedAncestor = (id: string) => identity.revokedAncestor(this.#ctx, id);

  createApp = (actor: Actor, input: { name: string; teamName: string; description: string }) =>
    this.#scopedWrite(["catalog"], () => apps.createApp(this.#ctx, actor, input));
  getApp = (name: string) => apps.getApp(this.#ctx, name);
  listApps = (filter: { teams?: readonly string[] | undefined }, page: PageRequest) =>
    apps.listApps(this.#ctx, filter, page);
  updateApp = (actor: Actor, name: string, input: { expectedVersion: number; description: string }) =>
    this.#scopedWrite(["catalog"], () => apps.updateApp(this.#ctx, actor, name, input));
  createTarget = (actor: Actor, input: { name: string; kind: TargetKind }) =>
    this.#scopedWrite(["catalog"], () => apps.createTarget(this.#ctx, actor, input));
  getTarget = (name: string) => apps.getTarget(this.#ctx, name);
  listTargets = (page: PageRequest) => apps.listTargets(this.#ctx, page);

  createRelease = (actor: Actor, input: NewRelease) => releases.createRelease(this.#ctx, actor, input);
  getRelease = (id: string) => releases.getRelease(this.#ctx, id);
  listReleases = (appName: string, page: PageRequest) => releases.listReleases(this.#ctx, appName, page);
  getReleaseSnapshot = (releaseId: string) => snapshots.getReleaseSnapshot(this.#ctx, releaseId);
  listReleaseCommits = (releaseIds: readonly string[]) =>
    releaseCommits.listReleaseCommits(this.#ctx, releaseIds);
  findRelease = (appName: string, identity: { commitSha: string; imageDigest: string }) =>
    releases.findRelease(this.#ctx, appName, identity);
  startDeployment = (actor: Actor, input: { releaseId: string; targetName: string }) =>
    deployments.startDeployment(this.#ctx, actor, input);
  recordDeploymentStatus = (
    actor: Actor,
    input: { deploymentId: string; status: DeploymentStatus; message: string },
  ) => deployments.recordDeploymentStatus(this.#ctx, actor, input);
  getDeployment = (id: string) => deployments.getDeployment(this.#ctx, id);
  listDeployments = (filter: { appName: string; targetName?: string | undefined }, page: PageRequest) =>
    deployments.listDeployments(this.#ctx, filter, page);
  deploymentEvents = (deploymentId: string) => deployments.deploymentEvents(this.#ctx, deploymentId);
  listHistory = (appName: string, page: PageRequest) => history.listHistory(this.#ctx, appName, page);
  listDeliveryRecords = (filter: Parameters<Store["listDeliveryRecords"]>[0]) =>
    history.listDeliveryRecords(this.#ctx, filter);
  listDeliveryReleases = (filter: Parameters<Store["listDeliveryReleases"]>[0]) =>
    releaseCommits.listDeliveryReleases(this.#ctx, filter);
  readDoraWindow = (filter: Parameters<Store["readDoraWindow"]>[0]) => dora.readDoraWindow(this.#ctx, filter);
  enqueueDeployment = (
    actor: Actor,
    input: { releaseId: string; targetName: string; cause?: NewDeploymentCause | undefined },
  ) => deployments.startDeployment(this.#ctx, actor, { ...input, job: true });
  claimJobs = (request: ClaimRequest) => jobs.claimJobs(this.#ctx, request);
  renewJobLease = (input: JobWrite & { leaseMs: number }) => jobs.renewJobLease(this.#ctx, input);
  recordJobStatus = (input: JobWrite & { status: DeploymentStatus; message: string; leaseMs: number }) =>
    jobs.recordJobStatus(this.#ctx, input);
  releaseJob = (input: JobWrite) => jobs.releaseJob(this.#ctx, input);
  getJob = (deploymentId: string) => jobs.getJob(this.#ctx, deploymentId);
  numberEvents = () => events.numberEvents(this.#ctx);
  listEvents = (filter: EventFilter) => events.listEvents(this.#ctx, filter);
  lastEventSeq = () => events.lastEventSeq(this.#ctx);
  recordApproval = (actor: Actor, input: { releaseId: string; targetName: string }) =>
    releases.recordApproval(this.#ctx, actor, input);
  listApprovals = (releaseId: string) => releases.listApprovals(this.#ctx, releaseId);
  listDeploymentCauses = (appName: string) => promotion.listDeploymentCauses(this.#ctx, appName);
  rejectRelease = (actor: Actor, input: { releaseId: string; targetName: string; reason: string }) =>
    promotion.rejectRelease(this.#ctx, actor, input);
  getLineStop = () => promotion.getLineStop(this.#ctx);
  setLineStop = (actor: Actor, input: { reason: string } | null) =>
    promotion.setLineStop(this.#ctx, actor, input);

  listAudit = (filter: AuditFilter, page: PageRequest) => listAudit(this.#ctx, filter, page);
}
