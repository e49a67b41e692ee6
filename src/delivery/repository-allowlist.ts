/**
 * Which repositories a team's releases may be read from. The server fetches whatever repository a
 * release names with credentials of its own (an ssh key, a netrc), so without a list a developer
 * of one team could have it read another team's repository — the release would not validate as
 * their app, but the problems reported would quote what that repository holds. A team's
 * `repositories` in the platform file closes that: a release from any other repository is refused
 * before anything is fetched.
 *
 * Patterns are matched against the repository as the release records it (credentials removed):
 * `*` stands for any characters but `/`, `**` for any characters at all. Written by hand: the
 * whole grammar is those two wildcards.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";

export interface TeamRepositories {
  readonly name: string;
  readonly repositories?: readonly string[] | undefined;
}

function patternRegExp(pattern: string): RegExp {
  const source = pattern
    .split("**")
    .map((part) =>
      part
        .split("*")
        .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*"),
    )
    .join(".*");
  return new RegExp(`^${source}$`);
}

export function repositoryAllowed(patterns: readonly string[], repository: string): boolean {
  return patterns.some((pattern) => patternRegExp(pattern).test(repository));
}

/** Throws a refusal (403) when the team lists its repositories and this one is not among them. */
export function checkReleaseRepository(
  teams: readonly TeamRepositories[] | undefined,
  team: string,
  app: string,
  repository: string,
): void {
  const patterns = teams?.find((t) => t.name === team)?.repositories;
  if (patterns === undefined || repositoryAllowed(patterns, repository)) return;
  throw new SlipwayError(
    ErrorCode.Forbidden,
    `repository ${repository} is not one team ${team} releases from, so ${app} cannot be released from it: the platform file allows ${patterns.join(", ")} (teams[].repositories); ask a platform administrator to add it`,
    { details: { repository, team, allowed: [...patterns] } },
  );
}
