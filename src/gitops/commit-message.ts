/**
 * The commit a deploy makes says what was deployed where, for people reading `git log` and for
 * tools: the facts are repeated as git trailers, so `git log --format='%(trailers:key=Slipway-Image)'`
 * finds every deploy of an image.
 */
import {
  countChanges,
  type DeployScope,
  type ObjectChange,
  type ReleaseInfo,
} from "../delivery/deploy-target.ts";

export function commitMessage(
  scope: DeployScope,
  release: ReleaseInfo,
  changes: readonly ObjectChange[],
): string {
  const counts = countChanges(changes);
  const summary = [
    counts.create > 0 ? `${counts.create} created` : "",
    counts.update > 0 ? `${counts.update} updated` : "",
    counts.delete > 0 ? `${counts.delete} deleted` : "",
  ].filter((s) => s !== "");
  const lines = changes.filter((c) => c.action !== "unchanged").map((c) => `  ${c.action} ${c.ref}`);
  return [
    `deploy ${scope.app} to ${scope.target}: ${release.image} (commit ${shortCommit(release.commit)})`,
    "",
    `${summary.join(", ")}:`,
    ...lines,
    "",
    `Slipway-App: ${scope.app}`,
    `Slipway-Target: ${scope.target}`,
    `Slipway-Commit: ${release.commit}`,
    `Slipway-Image: ${release.image}`,
    "",
  ].join("\n");
}

function shortCommit(commit: string): string {
  return /^[0-9a-f]{40,64}$/.test(commit) ? commit.slice(0, 12) : commit;
}
