/**
 * The app's source commit for the deploy record and the GitOps commit message: `--commit` when
 * given, else the HEAD of the git repository holding the app, else `unknown` (an app deployed from
 * a plain directory, e.g. a tarball in CI).
 */
import { gitIn } from "../../gitops/git.ts";

const NOT_A_REPOSITORY = 128;

export async function sourceCommit(appDir: string, explicit: string | undefined): Promise<string> {
  if (explicit !== undefined) return explicit;
  const head = await gitIn(appDir)(["rev-parse", "-q", "--verify", "HEAD"], {
    okExitCodes: [1, NOT_A_REPOSITORY],
  });
  return head.exitCode === 0 ? head.stdout.trim() : "unknown";
}
