/**
 * A read cache in front of a `Store`, keyed by the store's state version. Every read is
 * remembered under the version current when it started; the first read that finds a different
 * version (a commit here, in another process, on another replica) drops everything. So a cached
 * answer is never older than the newest change the version has seen, and there is no TTL to tune.
 *
 * - Writes go straight through and bump a local counter in the version, so a caller reads its own
 *   writes at once, before the database's own notice of the commit arrives.
 * - While the version is unknown (`stateVersion()` undefined: PostgreSQL's change feed is
 *   reconnecting), nothing is cached or served from the cache.
 * - Reads of teams, apps and targets are keyed on the store's catalog version instead, which moves
 *   only with changes to those tables (`change-scopes.ts`): the engine's status changes, many a
 *   second, leave them cached.
 * - Concurrent reads of one key share one query (a page polled by many dashboards costs one).
 * - Failures are not cached. Results are frozen: they are shared by every caller.
 *
 * Why: a list page of 50 rows cost ~0.3 ms of CPU to query, validate and map, most of the server's
 * budget; reads outnumber writes by orders of magnitude on a platform's API (dashboards, CLIs and
 * CI polling the same apps, releases and deployments).
 */
import type { EventFilter } from "./event-queries.ts";
import type { ClaimRequest, JobWrite } from "./job-queries.ts";
import type { NewDeploymentCause } from "./promotion-queries.ts";
import type { PageRequest, Role, TargetKind } from "./records.ts";
import type { Actor, AuditFilter, NewApiToken, NewRelease, Store } from "./store.ts";

export interface ReadCacheOptions {
  /** Entries kept per version; the oldest go first. */
  readonly maxEntries?: number;
}

/** Reads cached under one version, all dropped when it moves. */
interface Shelf {
  readonly version: () => string | undefined;
  readonly entries: Map<string, Promise<unknown>>;
  cachedVersion: string | undefined;
}

export class CachedStore implements Store {
  readonly #inner: Store;
  readonly #maxEntries: number;
  /** Most reads: any change may change them. */
  readonly #state: Shelf = {
    version: () => this.stateVersion(),
    entries: new Map(),
    cachedVersion: undefined,
  };
  /**
   * Teams, apps and targets (`change-scopes.ts`): kept while deployments move, so app pages and
   * every app route's team check are not read again after each status change.
   */
  readonly #catalog: Shelf = {
    version: () => this.#inner.catalogVersion(),
    entries: new Map(),
    cachedVersion: undefined,
  };
  #localWrites = 0;

  constructor(inner: Store, options: ReadCacheOptions = {}) {
    this.#inner = inner;
    this.#maxEntries = options.maxEntries ?? 2_000;
  }

  stateVersion(): string | undefined {
    const inner = this.#inner.stateVersion();
    return inner === undefined ? undefined : `${inner}/${this.#localWrites}`;
  }

  // Writes to a scope's tables go through the inner store, which counts them.
  identityVersion = () => this.#inner.identityVersion();
  catalogVersion = () => this.#inner.catalogVersion();

  #read<T>(key: string, load: () => Promise<T>, shelf: Shelf = this.#state): Promise<T> {
    const version = shelf.version();
    if (version === undefined) {
      shelf.entries.clear();
      return load();
    }
    if (version !== shelf.cachedVersion) {
      shelf.entries.clear();
      shelf.cachedVersion = version;
    }
    const entries = shelf.entries;
    const hit = entries.get(key);
    if (hit !== undefined) return hit as Promise<T>;
    if (entries.size >= this.#maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    const pending = load().then(deepFreeze, (error: unknown) => {
      // Only this version's map, and only this attempt: a retry may already be under way.
      if (entries.get(key) === pending) entries.delete(key);
      throw error;
    });
    entries.set(key, pending);
    return pending;
  }

  async #write<T>(change: () => Promise<T>): Promise<T> {
    try {
      return await change();
    } finally {
      // Also after a failure: a write that failed after its commit (a lost connection) changed
      // the database all the same.
      this.#localWrites++;
    }
  }

  ping = () => this.#inner.ping();
  close = () => this.#inner.close();

  createTeam = (actor: Actor, name: string) => this.#write(() => this.#inner.createTeam(actor, name));
  getTeam = (name: string) =>
    this.#read(key("getTeam", name), () => this.#inner.getTeam(name), this.#catalog);
  listTeams = (page: PageRequest) =>
    this.#read(key("listTeams", page), () => this.#inner.listTeams(page), this.#catalog);

  ensureUser = (actor: Actor, input: { subject: string; displayName: string; isAdmin?: boolean }) =>
    this.#write(() => this.#inner.ensureUser(actor, input));
  getUser = (id: string) => this.#read(key("getUser", id), () => this.#inner.getUser(id));
  findUserBySubject = (subject: string) =>
    this.#read(key("findUserBySubject", subject), () => this.#inner.findUserBySubject(subject));
  countUsers = () => this.#read(key("countUsers"), () => this.#inner.countUsers());
  setMembership = (actor: Actor, teamName: string, userId: string, role: Role | null) =>
    this.#write(() => this.#inner.setMembership(actor, teamName, userId, role));
  listMemberships = (userId: string) =>
    this.#read(key("listMemberships", userId), () => this.#inner.listMemberships(userId));

  createApiToken = (actor: Actor, input: NewApiToken) =>
    this.#write(() => this.#inner.createApiToken(actor, input));
  findApiTokenByHash = (secretHash: string) =>
    this.#read(key("findApiTokenByHash", secretHash), () => this.#inner.findApiTokenByHash(secretHash));
  listApiTokens = (userId: string, page: PageRequest) =>
    this.#read(key("listApiTokens", userId, page), () => this.#inner.listApiTokens(userId, page));
  getApiToken = (id: string) => this.#read(key("getApiToken", id), () => this.#inner.getApiToken(id));
  revokeApiToken = (actor: Actor, id: string) => this.#write(() => this.#inner.revokeApiToken(actor, id));
  revokedAncestor = (id: string) =>
    this.#read(key("revokedAncestor", id), () => this.#inner.revokedAncestor(id));

  createApp = (actor: Actor, input: { name: string; teamName: string; description: string }) =>
    this.#write(() => this.#inner.createApp(actor, input));
  getApp = (name: string) => this.#read(key("getApp", name), () => this.#inner.getApp(name), this.#catalog);
  listApps = (filter: { teams?: readonly string[] | undefined }, page: PageRequest) =>
    this.#read(
      key("listApps", filter.teams ?? null, page),
      () => this.#inner.listApps(filter, page),
      this.#catalog,
    );
  updateApp = (actor: Actor, name: string, input: { expectedVersion: number; description: string }) =>
    this.#write(() => this.#inner.updateApp(actor, name, input));

  createTarget = (actor: Actor, input: { name: string; kind: TargetKind }) =>
    this.#write(() => this.#inner.createTarget(actor, input));
  getTarget = (name: string) =>
    this.#read(key("getTarget", name), () => this.#inner.getTarget(name), this.#catalog);
  listTargets = (page: PageRequest) =>
    this.#read(key("listTargets", page), () => this.#inner.listTargets(page), this.#catalog);

  createRelease = (actor: Actor, input: NewRelease) =>
    this.#write(() => this.#inner.createRelease(actor, input));
  getRelease = (id: string) => this.#read(key("getRelease", id), () => this.#inner.getRelease(id));
  listReleases = (appName: string, page: PageRequest) =>
    this.#read(key("listReleases", appName, page), () => this.#inner.listReleases(appName, page));
  // Not cached: read rarely (a deployment starting), possibly megabytes, and byte arrays cannot be frozen.
  getReleaseSnapshot = (releaseId: string) => this.#inner.getReleaseSnapshot(releaseId);
  listReleaseCommits = (releaseIds: readonly string[]) =>
    this.#read(key("listReleaseCommits", releaseIds), () => this.#inner.listReleaseCommits(releaseIds));
  findRelease = (appName: string, identity: { commitSha: string; imageDigest: string }) =>
    this.#read(key("findRelease", appName, identity.commitSha, identity.imageDigest), () =>
      this.#inner.findRelease(appName, identity),
    );

  startDeployment = (actor: Actor, input: { releaseId: string; targetName: string }) =>
    this.#write(() => this.#inner.startDeployment(actor, input));
  recordDeploymentStatus = (actor: Actor, input: Parameters<Store["recordDeploymentStatus"]>[1]) =>
    this.#write(() => this.#inner.recordDeploymentStatus(actor, input));
  getDeployment = (id: string) => this.#read(key("getDeployment", id), () => this.#inner.getDeployment(id));
  listDeployments = (filter: { appName: string; targetName?: string | undefined }, page: PageRequest) =>
    this.#read(key("listDeployments", filter.appName, filter.targetName ?? null, page), () =>
      this.#inner.listDeployments(filter, page),
    );
  deploymentEvents = (deploymentId: string) =>
    this.#read(key("deploymentEvents", deploymentId), () => this.#inner.deploymentEvents(deploymentId));
  listHistory = (appName: string, page: PageRequest) =>
    this.#read(key("listHistory", appName, page), () => this.#inner.listHistory(appName, page));
  listDeliveryRecords = (filter: Parameters<Store["listDeliveryRecords"]>[0]) =>
    this.#read(key("listDeliveryRecords", filter), () => this.#inner.listDeliveryRecords(filter));
  // Not cached: each DORA request asks up to its own `until` (now), so no answer is read twice, and
  // one holds every commit of a team's releases (hundreds of thousands): kept, each would stay in
  // memory until the next write, which on a quiet server may be hours of dashboard polls away.
  listDeliveryReleases = (filter: Parameters<Store["listDeliveryReleases"]>[0]) =>
    this.#inner.listDeliveryReleases(filter);
  // Not cached either, for the same reason: every question asks up to its own `until`.
  readDoraWindow = (filter: Parameters<Store["readDoraWindow"]>[0]) => this.#inner.readDoraWindow(filter);
  enqueueDeployment = (
    actor: Actor,
    input: { releaseId: string; targetName: string; cause?: NewDeploymentCause | undefined },
  ) => this.#write(() => this.#inner.enqueueDeployment(actor, input));
  claimJobs = (request: ClaimRequest) => this.#write(() => this.#inner.claimJobs(request));
  renewJobLease = (input: Parameters<Store["renewJobLease"]>[0]) =>
    this.#write(() => this.#inner.renewJobLease(input));
  recordJobStatus = (input: Parameters<Store["recordJobStatus"]>[0]) =>
    this.#write(() => this.#inner.recordJobStatus(input));
  releaseJob = (input: JobWrite) => this.#write(() => this.#inner.releaseJob(input));
  // Leases move every few seconds; whoever asks about a job wants it as it is now.
  getJob = (deploymentId: string) => this.#inner.getJob(deploymentId);
  // Polled by every event stream: only a run that numbered something is a change.
  numberEvents = async () => {
    const numbered = await this.#inner.numberEvents();
    if (numbered > 0) this.#localWrites++;
    return numbered;
  };
  listEvents = (filter: EventFilter) =>
    this.#read(key("listEvents", filter), () => this.#inner.listEvents(filter));
  lastEventSeq = () => this.#read(key("lastEventSeq"), () => this.#inner.lastEventSeq());

  recordApproval = (actor: Actor, input: { releaseId: string; targetName: string }) =>
    this.#write(() => this.#inner.recordApproval(actor, input));
  listApprovals = (releaseId: string) =>
    this.#read(key("listApprovals", releaseId), () => this.#inner.listApprovals(releaseId));
  listDeploymentCauses = (appName: string) =>
    this.#read(key("listDeploymentCauses", appName), () => this.#inner.listDeploymentCauses(appName));
  rejectRelease = (actor: Actor, input: { releaseId: string; targetName: string; reason: string }) =>
    this.#write(() => this.#inner.rejectRelease(actor, input));
  // Read through: promotion gates must see a stop the moment another replica sets it.
  getLineStop = () => this.#inner.getLineStop();
  setLineStop = (actor: Actor, input: { reason: string } | null) =>
    this.#write(() => this.#inner.setLineStop(actor, input));

  listAudit = (filter: AuditFilter, page: PageRequest) =>
    this.#read(key("listAudit", filter.teams ?? null, page), () => this.#inner.listAudit(filter, page));
}

/** The method and its arguments as JSON: unambiguous whatever the arguments hold. */
function key(method: string, ...args: unknown[]): string {
  return `${method} ${JSON.stringify(args)}`;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
