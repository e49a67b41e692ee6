/**
 * What one DORA question reads: the production deployments, then, of the commits releases
 * brought, only those its window's lead time can count (`leadTimeReleases`), not every commit of
 * every release in scope. A history of 300 releases × 1,000 commits read whole was 300,000 rows
 * a question, with SQLite's synchronous driver holding the server for most of a second.
 *
 * The reads are ordered so that none can miss a row another one saw: a deployment's release was
 * committed before the deployment, and a release's range and commits in the release's own
 * transaction, so the releases read after the deployments include every deployment's, and the
 * commits read after the releases include every one of theirs (both databases read committed
 * rows per statement). A release made meanwhile is either read whole or not at all.
 */
import { type DoraDeployment, type DoraRelease, leadTimeReleases } from "../delivery/dora.ts";
import type { StoreContext } from "./context.ts";
import { listDeliveryRecords } from "./history-queries.ts";
import { idsPerQuery, releaseLinkRows } from "./release-commit-queries.ts";

export interface DoraWindowFilter {
  readonly appName?: string | undefined;
  readonly teamName?: string | undefined;
  /** The production channel. */
  readonly targetName: string;
  readonly from: string;
  readonly until: string;
}

export interface DoraWindowInputs {
  readonly deployments: readonly DoraDeployment[];
  /**
   * The releases lead time walks: those brought to production in the window with every commit,
   * those that arrived before it with only their commits that a window's release also brought
   * (one commit counts once). `computeDora` gives the same report from these as from all.
   */
  readonly releases: readonly DoraRelease[];
}

export async function readDoraWindow(ctx: StoreContext, filter: DoraWindowFilter): Promise<DoraWindowInputs> {
  const deployments = await listDeliveryRecords(ctx, filter);
  const links = await releaseLinks(ctx, filter);
  const { counted, earlier } = leadTimeReleases(
    deployments,
    { from: filter.from, to: filter.until },
    filter.targetName,
    links,
  );
  const recorded = new Set(links.filter((l) => l.recorded).map((l) => l.id));
  const countedIds = [...counted].filter((id) => recorded.has(id)).sort();
  const commits = new Map<string, { sha: string; time: string | null }[]>();
  const copied = new Set<string>();
  for (let i = 0; i < countedIds.length; i += idsPerQuery) {
    const chunk = countedIds.slice(i, i + idsPerQuery);
    const rows = await ctx.db
      .selectFrom("releaseCommits")
      .select(["releaseId", "sha", "authoredAt"])
      .where("releaseId", "in", chunk)
      .orderBy("releaseId")
      .orderBy("position")
      .execute();
    for (const row of rows) push(commits, row.releaseId, { sha: row.sha, time: row.authoredAt });
    // The same commits recorded by another release (two ranges of the app that overlap; or another
    // app of the repository): when a release of the app that had arrived earlier holds one, the
    // commit had arrived with it. Copies in other apps' releases are kept too when those releases
    // are walked: they recorded that commit, and another app's walk never meets this app's commits.
    const copies = await commitCopies(ctx, chunk);
    for (const row of copies.sort((a, b) => Number(a.position) - Number(b.position))) {
      const key = `${row.releaseId}\u0000${row.position}`;
      if (!earlier.has(row.releaseId) || counted.has(row.releaseId) || copied.has(key)) continue;
      copied.add(key);
      push(commits, row.releaseId, { sha: row.sha, time: row.authoredAt });
    }
  }
  const releases = links.flatMap((link): DoraRelease[] => {
    if (!counted.has(link.id) && !earlier.has(link.id)) return [];
    return [
      {
        id: link.id,
        appName: link.appName,
        // A release recorded without its range brings its own commit, wherever it arrived.
        commits: link.recorded
          ? (commits.get(link.id) ?? [])
          : [{ sha: link.commitSha, time: link.commitTime }],
        contains: link.contains,
      },
    ];
  });
  return { deployments, releases };
}

/**
 * The copies of these releases' commits that other releases recorded: one probe of the sha index
 * per commit of the window's releases, nothing else (which of them matter, the caller keeps).
 * PostgreSQL runs the probe as a lateral subquery kept whole (`offset 0`): as a plain join, its
 * planner hashes the window's commits and scans every recorded commit, and joined with the
 * releases for their app while the statistics were not yet gathered, it probed 300 × 29,000 times.
 */
async function commitCopies(ctx: StoreContext, releaseIds: readonly string[]) {
  if (ctx.dialect === "postgres") {
    return ctx.db
      .selectFrom("releaseCommits as w")
      .innerJoinLateral(
        (eb) =>
          eb
            .selectFrom("releaseCommits as c")
            .select(["c.releaseId", "c.position", "c.sha", "c.authoredAt"])
            .whereRef("c.sha", "=", "w.sha")
            .whereRef("c.releaseId", "<>", "w.releaseId")
            .offset(0)
            .as("copy"),
        (join) => join.onTrue(),
      )
      .select(["copy.releaseId", "copy.position", "copy.sha", "copy.authoredAt"])
      .where("w.releaseId", "in", releaseIds)
      .execute();
  }
  // SQLite joins by nested loops only: each commit is looked up by the sha index.
  return ctx.db
    .selectFrom("releaseCommits as w")
    .innerJoin("releaseCommits as c", (join) =>
      join.onRef("c.sha", "=", "w.sha").onRef("c.releaseId", "<>", "w.releaseId"),
    )
    .select(["c.releaseId", "c.position", "c.sha", "c.authoredAt"])
    .where("w.releaseId", "in", releaseIds)
    .execute();
}

interface ReleaseLink {
  readonly id: string;
  readonly appName: string;
  readonly commitSha: string;
  readonly commitTime: string | null;
  /** Whether its commits were recorded (migration 11); if not, it brings its own commit. */
  readonly recorded: boolean;
  readonly contains: string | null;
}

/** Every release of the scope made before `until`: one short row each, no commits. */
async function releaseLinks(ctx: StoreContext, filter: DoraWindowFilter): Promise<ReleaseLink[]> {
  const rows = await releaseLinkRows(ctx, filter);
  return rows.map((r) => ({
    id: r.id,
    appName: r.appName,
    commitSha: r.commitSha,
    commitTime: r.commitTime,
    recorded: r.rangeOf !== null,
    contains: r.containsReleaseId ?? null,
  }));
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
