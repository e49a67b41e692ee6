/**
 * The demo's git repository: the example apps committed once into the data directory, so the demo
 * creates its releases from git exactly as CI does (`POST /api/v1/apps/:app/releases` with a
 * repository, a path and a commit). Two kinds of commit: the examples as they are, then one change
 * per app (its CHANGES.md, beside slipway.yaml: a new build of the same spec).
 *
 * Made in a temporary directory and renamed into place when complete, so a start interrupted half
 * way leaves no repository that lacks a commit; found again by its tags on later starts.
 */
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gitIn } from "../gitops/git.ts";

export interface DemoRepository {
  /** Absolute path: a local repository (the demo server allows those). */
  readonly dir: string;
  /** The commit holding every example app as it is in the examples directory. */
  readonly first: string;
  /** Per app, a later commit that changes only that app. */
  readonly second: ReadonlyMap<string, string>;
}

const FIRST_TAG = "demo-first";
const secondTag = (app: string) => `demo-second-${app}`;
const author = { name: "Demo Developer", email: "developer@example.com" };

/** The repository under `dataDir`, made from `apps` (directories of `examplesDir`) if missing. */
export async function demoRepository(
  dataDir: string,
  examplesDir: string,
  apps: readonly string[],
): Promise<DemoRepository> {
  const dir = join(dataDir, "demo-repository");
  if (!existsSync(dir)) await create(dir, examplesDir, apps);
  const git = gitIn(dir);
  const commitOf = async (tag: string) =>
    (await git(["rev-parse", "-q", "--verify", `${tag}^{commit}`])).stdout.trim();
  const second = new Map<string, string>();
  for (const app of apps) second.set(app, await commitOf(secondTag(app)));
  return { dir, first: await commitOf(FIRST_TAG), second };
}

async function create(dir: string, examplesDir: string, apps: readonly string[]): Promise<void> {
  const work = `${dir}.${process.pid}.tmp`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const now = Date.now();
  // Commit times as a team's would be: the examples two days ago, each app's change this morning.
  const at = (ms: number) => {
    const date = new Date(ms).toISOString();
    return {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
    };
  };
  const git = gitIn(work);
  await git(["init", "-q", "-b", "main"]);
  for (const app of apps) cpSync(join(examplesDir, app), join(work, app), { recursive: true });
  await git(["add", "-A"]);
  await git(["-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", "The example apps"], {
    env: at(now - 2 * 86_400_000),
  });
  await git(["tag", FIRST_TAG]);
  for (const [i, app] of apps.entries()) {
    writeFileSync(join(work, app, "CHANGES.md"), `# ${app}\n\n- A second build of ${app}.\n`);
    await git(["add", "-A", "--", app]);
    await git(["-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", `${app}: a second build`], {
      env: at(now - 3 * 3_600_000 + i * 60_000),
    });
    await git(["tag", secondTag(app)]);
  }
  renameSync(work, dir);
}
