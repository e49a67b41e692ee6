/**
 * Table shapes as Kysely sees them (camelCase here, snake_case in the database through
 * `CamelCasePlugin`). Booleans are integers 0/1 because SQLite has no boolean type and one code
 * path must serve both databases; timestamps are ISO-8601 text for the same reason.
 */
export interface Tables {
  slipwayMigrations: { version: number; name: string; appliedAt: string };
  teams: { id: string; name: string; createdAt: string };
  users: { id: string; subject: string; displayName: string; isAdmin: number; createdAt: string };
  memberships: { teamId: string; userId: string; role: string };
  apiTokens: {
    id: string;
    userId: string;
    name: string;
    secretHash: string;
    createdAt: string;
    expiresAt: string | null;
    revokedAt: string | null;
    scope: string;
    mintedBy: string | null;
  };
  apps: {
    id: string;
    teamId: string;
    name: string;
    description: string;
    version: number;
    createdAt: string;
    updatedAt: string;
  };
  targets: { id: string; name: string; kind: string; createdAt: string };
  releases: {
    id: string;
    appId: string;
    commitSha: string;
    imageDigest: string;
    specHash: string;
    secretsHash: string;
    commitTime: string | null;
    createdBy: string;
    createdAt: string;
    repository: string | null;
    sourcePath: string | null;
    commitAuthor: string | null;
    commitMessage: string | null;
    committedAt: string | null;
  };
  /** Release files by the SHA-256 of their content (migration 7). */
  snapshotBlobs: { sha256: string; size: number; content: Uint8Array };
  releaseFiles: { releaseId: string; path: string; sha256: string };
  /** Migration 11: how many commits a release brings, and the earlier release it holds entirely. */
  releaseCommitRanges: { releaseId: string; total: number; containsReleaseId: string | null };
  /** Migration 11: the commits a release brings, newest first by position (`release-commit-queries.ts`). */
  releaseCommits: {
    releaseId: string;
    position: number;
    sha: string;
    author: string;
    authoredAt: string;
    subject: string;
  };
  deployments: {
    id: string;
    appId: string;
    targetId: string;
    releaseId: string;
    sequence: number;
    status: string;
    createdBy: string;
    startedAt: string;
    availableAt: string | null;
    updatedAt: string;
  };
  deploymentEvents: {
    id: string;
    deploymentId: string;
    status: string;
    message: string;
    at: string;
    /** Migration 8: the event's place in the one store-wide numbering; null until numbered. */
    seq: number | null;
  };
  /** Migration 8: named counters; `events` numbers deployment events in commit order. */
  counters: { name: string; value: number };
  /** Migration 8: the engine's work, one row per deployment it runs (see `job-queries.ts`). */
  deploymentJobs: {
    deploymentId: string;
    appId: string;
    targetId: string;
    /** queued → running → done. */
    state: string;
    deadlineAt: string | null;
    leaseOwner: string | null;
    leaseExpiresAt: string | null;
    /** Bumped by every claim: writes of an older claim are refused (a fencing token). */
    fence: number;
    attempts: number;
    /** The fence of the claim that recorded it was about to write to the target. */
    applyFence: number | null;
    createdAt: string;
    updatedAt: string;
  };
  approvals: {
    id: string;
    releaseId: string;
    targetId: string;
    approvedBy: string;
    createdAt: string;
    /** Migration 9: `approved` or `rejected` (with a reason). */
    decision: string;
    reason: string | null;
  };
  /** Migration 9: why a deployment was started (`promotion-queries.ts`). */
  deploymentCauses: {
    deploymentId: string;
    kind: string;
    fromTarget: string | null;
    rollbackOf: string | null;
    reason: string | null;
  };
  /** Migration 9: the platform-wide line stop; the one with no `resumedAt` is in force. */
  lineStops: {
    id: string;
    reason: string;
    stoppedBy: string;
    stoppedAt: string;
    resumedBy: string | null;
    resumedAt: string | null;
  };
  auditEvents: {
    id: string;
    at: string;
    actor: string;
    action: string;
    subject: string;
    teamName: string | null;
    beforeHash: string | null;
    afterHash: string | null;
  };
}
