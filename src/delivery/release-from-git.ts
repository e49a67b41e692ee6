/**
 * A release read from git: the commit fetched, `slipway.yaml` and the app's encrypted secret files
 * read at that commit, checked as `slipway validate` checks them, and handed back as the files of
 * the release's snapshot. Nothing is written here: the caller stores the result, or nothing at all
 * when this throws. The repository comes in through a port (`RepositoryReader`, the git source).
 *
 * What a release never holds: a plaintext secret. A secret file is stored as the SOPS ciphertext it
 * is, and one without SOPS metadata, or with a value its own selectors say is encrypted but is not,
 * is refused before anything is stored.
 */
import { createHash } from "node:crypto";
import { ErrorCode, isSlipwayError, type Problem, SlipwayError } from "../core/errors.ts";
import { targetProblems } from "../render/check-targets.ts";
import { parseImageRef } from "../render/image.ts";
import { formatForPath } from "../secrets/format/format-names.ts";
import { withDefaultSelector } from "../secrets/format/metadata.ts";
import { parseEncrypted } from "../secrets/format/stores.ts";
import { plaintextValues } from "../secrets/format/walk.ts";
import {
  checkAppSpec,
  dedupe,
  environmentNames,
  type LoadedPlatform,
  resolveAppSpec,
} from "../spec/parse.ts";
import { decodeUtf8 } from "../spec/utf8.ts";
import type { FieldPath } from "../spec/yaml-source.ts";
import { SNAPSHOT_SPEC, snapshotPath } from "./release-snapshot.ts";

/** The commit's own record, as the repository has it. */
export interface SourceCommit {
  readonly commit: string;
  readonly authorName: string;
  readonly authorEmail: string;
  /** ISO 8601; lead time starts here. */
  readonly authoredAt: string;
  readonly committedAt: string;
  readonly message: string;
}

/** One commit a release brings, as recorded with it: the message's first line only. */
export interface SourceCommitSummary {
  readonly commit: string;
  readonly authorName: string;
  readonly authorEmail: string;
  /** ISO 8601; this commit's lead time starts here. */
  readonly authoredAt: string;
  readonly subject: string;
}

/** Reads a repository at a commit (`GitSource`). */
export interface RepositoryReader {
  fetchCommit(repository: string, commit: string): Promise<SourceCommit>;
  /** `git log --no-merges <since>..<commit> -- <path>`, newest first, at most `limit` (see `GitSource`). */
  listCommits(
    repository: string,
    commit: string,
    options: { readonly since: string; readonly path: string; readonly limit: number },
  ): Promise<{
    readonly commits: readonly SourceCommitSummary[];
    readonly total: number;
    readonly since: "ancestor" | "diverged" | "unrelated" | "missing";
  }>;
  /** The named files (from the repository's root); a file missing at the commit is absent. */
  readFiles(
    repository: string,
    commit: string,
    paths: readonly string[],
  ): Promise<ReadonlyMap<string, Uint8Array>>;
}

export interface ReleaseRequest {
  readonly repository: string;
  /** The app's directory in the repository; "" for its root. */
  readonly path: string;
  /** The full commit id. */
  readonly commit: string;
  /** `<repository>@sha256:<digest>` (a tag beside the digest is allowed, the digest decides). */
  readonly image: string;
}

/** The commits a release brings: those since the app's previous release (see `readRelease`). */
export interface ReleaseCommits {
  /** Newest first; at most `MAX_RELEASE_COMMITS`. */
  readonly commits: readonly SourceCommitSummary[];
  /** How many there are, also past the cap. */
  readonly total: number;
  /** The previous release's commit is an ancestor: this release holds all of that one's commits too. */
  readonly containsPrevious: boolean;
}

export interface ReleaseRead {
  readonly imageDigest: string;
  readonly commit: SourceCommit;
  readonly commits: ReleaseCommits;
  /** `slipway.yaml` first, then each secret file, by path relative to the app's directory. */
  readonly files: readonly { readonly path: string; readonly content: Uint8Array }[];
  /** SHA-256 of `slipway.yaml` as written. */
  readonly specHash: string;
  /** SHA-256 over the secret files' paths and content hashes. */
  readonly secretsHash: string;
}

/** The longest commit message kept with a release; longer ones are cut, marked with "…". */
export const MAX_COMMIT_MESSAGE = 16_384;

/** The most commits recorded with one release; the count past it is kept, the commits are not. */
export const MAX_RELEASE_COMMITS = 1_000;

/** The longest first line of a commit message kept with a release's commits. */
const MAX_SUBJECT = 500;

/**
 * Reads and checks a release of `app` (as registered: its name and team) from `request`. Throws,
 * and nothing was stored, for: a tag-only image, an image of another repository than the spec's, a
 * commit that does not exist, a repository that cannot be read, a spec that fails validation
 * (positioned problems at `<commit>:<path>`), a spec naming another app or team, and a secret file
 * that is missing, outside the app's directory, a link, or not SOPS-encrypted. `previous` is the
 * app's newest release, where the commits this one brings start (`commitsBrought`).
 */
export async function readRelease(
  reader: RepositoryReader,
  platform: LoadedPlatform,
  app: { readonly name: string; readonly teamName: string },
  request: ReleaseRequest,
  shownRepository: string,
  previous?: PreviousRelease,
): Promise<ReleaseRead> {
  const imageDigest = digestOf(request.image);
  const dir = appDirectory(request.path);
  const commit = await reader.fetchCommit(request.repository, request.commit);
  const at = (path: string) => `${commit.commit.slice(0, 12)}:${path}`;
  const specPath = inRepository(dir, SNAPSHOT_SPEC);
  const specBytes = (await reader.readFiles(request.repository, commit.commit, [specPath])).get(specPath);
  if (specBytes === undefined) {
    throw new SlipwayError(
      ErrorCode.Input,
      `there is no ${specPath} at commit ${commit.commit} of ${shownRepository}: name the app's directory with --path (the directory holding slipway.yaml)`,
      { details: { repository: shownRepository, commit: commit.commit, path: specPath } },
    );
  }
  const label = at(specPath);
  const checked = checkAppSpec(decodeUtf8(specBytes, label), label, platform);
  const problems: Problem[] = [...checked.problems];
  if (checked.app !== undefined) problems.push(...targetProblems(checked.app, platform));
  const loaded = checked.app;
  if (problems.length === 0 && loaded !== undefined) {
    const { spec, source } = loaded;
    const here = (path: FieldPath) => ({ file: label, ...source.positionOf(path), path: path.join(".") });
    if (spec.name !== app.name) {
      problems.push({
        ...here(["name"]),
        message: `names app \`${spec.name}\`, but this release is for app \`${app.name}\``,
        hint: `create the release for ${spec.name}, or point --path at ${app.name}'s directory`,
      });
    }
    // The team is the registration's word, never the file's: a repository cannot claim another
    // team's keys, namespaces or hosts by writing its name.
    if (spec.team !== app.teamName) {
      problems.push({
        ...here(["team"]),
        message: `says team \`${spec.team}\`, but app \`${app.name}\` is registered to team \`${app.teamName}\``,
        hint: `write team: ${app.teamName}, or ask a platform administrator to register the app in team ${spec.team}`,
      });
    }
    const repositoryOfImage = parseImageRef(request.image).repository;
    if (repositoryOfImage !== spec.image.repository) {
      throw new SlipwayError(
        ErrorCode.Input,
        `image ${request.image} is not from ${spec.name}'s repository ${spec.image.repository} (slipway.yaml at commit ${commit.commit.slice(0, 12)}): release the app's own image`,
        { details: { image: request.image, repository: spec.image.repository } },
      );
    }
  }
  if (problems.length > 0 || loaded === undefined) throw invalid(problems, specPath, commit, shownRepository);

  const secretFiles = secretFilesOf(loaded, platform, label, problems);
  const wanted = [...new Set(secretFiles.map((s) => s.key))];
  const read = await reader.readFiles(
    request.repository,
    commit.commit,
    wanted.map((key) => inRepository(dir, key)),
  );
  const files: { path: string; content: Uint8Array }[] = [{ path: SNAPSHOT_SPEC, content: specBytes }];
  for (const key of wanted) {
    const where = secretFiles.find((s) => s.key === key)!;
    const repoPath = inRepository(dir, key);
    const content = read.get(repoPath);
    if (content === undefined) {
      problems.push({
        ...where.position,
        message: `secret file ${where.file} does not exist at commit ${commit.commit.slice(0, 12)} (looked for ${repoPath})`,
        hint: "commit the encrypted file (slipway secrets encrypt), or fix the path",
      });
      continue;
    }
    const refusal = notEncrypted(content, at(repoPath));
    if (refusal !== undefined) problems.push(refusal);
    files.push({ path: key, content });
  }
  if (problems.length > 0) throw invalid(problems, specPath, commit, shownRepository);

  const secrets = files
    .slice(1)
    .map((f) => [f.path, sha256(f.content)])
    .sort(([a], [b]) => (a! < b! ? -1 : 1));
  return {
    imageDigest,
    commit: { ...commit, message: cut(commit.message) },
    commits: await commitsBrought(reader, request.repository, commit, dir, shownRepository, previous),
    files,
    specHash: sha256(specBytes),
    secretsHash: sha256(JSON.stringify(secrets)),
  };
}

/** The app's release before this one: where the commits this one brings start. */
export interface PreviousRelease {
  /** As recorded: the repository without credentials, and the commit. */
  readonly repository: string | null;
  readonly commitSha: string;
}

/**
 * The commits reachable from the release's commit and not from the previous release's (limited to
 * the app's directory, like `git log --no-merges -- <path>`), newest first. Just the release's own
 * commit for the app's first release, or when the previous one came from another repository, its
 * commit is not in this one any more or shares no history with this one (rewritten from scratch):
 * the whole history before it is not what this release delivers.
 */
async function commitsBrought(
  reader: RepositoryReader,
  repository: string,
  commit: SourceCommit,
  dir: string,
  shownRepository: string,
  previous: PreviousRelease | undefined,
): Promise<ReleaseCommits> {
  const own: ReleaseCommits = {
    commits: [{ ...commit, subject: subjectOf(commit.message) }].map(summary),
    total: 1,
    containsPrevious: false,
  };
  if (
    previous === undefined ||
    previous.repository !== shownRepository ||
    !/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(previous.commitSha)
  ) {
    return own;
  }
  const range = await reader.listCommits(repository, commit.commit, {
    since: previous.commitSha,
    path: dir,
    limit: MAX_RELEASE_COMMITS,
  });
  if (range.since === "missing" || range.since === "unrelated") return own;
  return {
    commits: range.commits.map(summary),
    total: range.total,
    containsPrevious: range.since === "ancestor",
  };
}

/** The commits as the store records them with the release (`NewRelease.commits`). */
export function recordedCommits(
  commits: ReleaseCommits,
  previousReleaseId: string | undefined,
): {
  items: { sha: string; author: string; authoredAt: string; subject: string }[];
  total: number;
  containsReleaseId: string | null;
} {
  return {
    items: commits.commits.map((c) => ({
      sha: c.commit,
      author: `${c.authorName} <${c.authorEmail}>`,
      authoredAt: c.authoredAt,
      subject: c.subject,
    })),
    total: commits.total,
    containsReleaseId: commits.containsPrevious ? (previousReleaseId ?? null) : null,
  };
}

function summary(c: SourceCommitSummary): SourceCommitSummary {
  return {
    commit: c.commit,
    authorName: c.authorName,
    authorEmail: c.authorEmail,
    authoredAt: c.authoredAt,
    subject: c.subject.length <= MAX_SUBJECT ? c.subject : `${c.subject.slice(0, MAX_SUBJECT)}…`,
  };
}

function subjectOf(message: string): string {
  return message.split("\n", 1)[0]!.trim();
}

/** Channels deploy digests only: a tag can be pushed again, a digest cannot. */
function digestOf(image: string): string {
  const ref = parseImageRef(image);
  if (ref.digest === undefined) {
    throw new SlipwayError(
      ErrorCode.Input,
      `image ${image} has no digest: a release names its image by digest (${ref.repository}@sha256:<digest>), since a tag can be moved; take the digest your build pushed (docker buildx --metadata-file, crane digest)`,
      { details: { image } },
    );
  }
  return ref.digest;
}

function appDirectory(path: string): string {
  if (path === "" || path === "." || path === "/") return "";
  try {
    return snapshotPath(path);
  } catch {
    throw new SlipwayError(
      ErrorCode.Input,
      `path "${path}" must be a directory inside the repository ("/"-separated, without ".." or ".git")`,
      { details: { path } },
    );
  }
}

function inRepository(dir: string, path: string): string {
  return dir === "" ? path : `${dir}/${path}`;
}

interface SecretFileRef {
  /** As written in slipway.yaml. */
  readonly file: string;
  /** Its path relative to the app's directory: the snapshot's key. */
  readonly key: string;
  readonly position: Pick<Problem, "file" | "line" | "column" | "path">;
}

/**
 * Every secret file the spec can use: the app's own list and each environment's override (each
 * with where it is written), and any the platform's defaults add. One outside the app's directory
 * becomes a problem at its position.
 */
function secretFilesOf(
  loaded: NonNullable<ReturnType<typeof checkAppSpec>["app"]>,
  platform: LoadedPlatform,
  label: string,
  problems: Problem[],
): SecretFileRef[] {
  const { spec, source } = loaded;
  const listed: { file: string; at: FieldPath }[] = [];
  // Lists replace lists in a merge, so an environment's list is the one its override wrote, else
  // the app's own (or the platform defaults', which have no position in slipway.yaml).
  for (const env of ["", ...environmentNames(platform.platform)]) {
    const written = env === "" ? undefined : (spec.environments?.[env] as { secrets?: unknown } | undefined);
    const base: FieldPath = Array.isArray(written?.secrets)
      ? ["environments", env, "secrets"]
      : spec.secrets !== undefined
        ? ["secrets"]
        : [];
    for (const [i, s] of (resolveAppSpec(loaded, platform, env).secrets ?? []).entries()) {
      listed.push({ file: s.file, at: base.length === 0 ? [] : [...base, i, "file"] });
    }
  }
  const refs: SecretFileRef[] = [];
  for (const { file, at } of listed) {
    const position = { file: label, ...source.positionOf(at), path: at.join(".") };
    try {
      refs.push({ file, key: snapshotPath(file), position });
    } catch (error) {
      if (!isSlipwayError(error)) throw error;
      problems.push({
        ...position,
        message: `secret file ${file} is outside the app's directory`,
        hint: "keep secret files in the app's directory, relative to slipway.yaml, without ..",
      });
    }
  }
  return refs;
}

/** Why a secret file may not be stored, as a problem at the file; undefined when it is ciphertext. */
function notEncrypted(content: Uint8Array, file: string): Problem | undefined {
  const format = formatForPath(file);
  const problem = (message: string): Problem => ({
    file,
    line: 1,
    column: 1,
    path: "",
    message,
    hint: "encrypt it with `slipway secrets encrypt` (or sops) and commit the encrypted file",
  });
  try {
    const parsed = parseEncrypted(content, format, file);
    const plain = plaintextValues(parsed.branches, withDefaultSelector(parsed.metadata.selectors));
    if (plain.length > 0) {
      return problem(
        `is not fully SOPS-encrypted: ${plain.slice(0, 5).join(", ")}${plain.length > 5 ? ` and ${plain.length - 5} more` : ""} in plaintext; Slipway stores secret files only as ciphertext`,
      );
    }
    return undefined;
  } catch (error) {
    if (!isSlipwayError(error)) throw error;
    return problem(
      `is not a SOPS-encrypted file (${error.message.replace(`${file}: `, "")}); Slipway stores secret files only as ciphertext`,
    );
  }
}

function invalid(
  problems: readonly Problem[],
  specPath: string,
  commit: SourceCommit,
  shownRepository: string,
): SlipwayError {
  const found = dedupe(problems).sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column,
  );
  const noun = found.length === 1 ? "problem" : "problems";
  return new SlipwayError(
    ErrorCode.SpecInvalid,
    `${specPath} at commit ${commit.commit} of ${shownRepository}: ${found.length} ${noun}`,
    { problems: found, details: { repository: shownRepository, commit: commit.commit } },
  );
}

function sha256(content: Uint8Array | string): string {
  return createHash("sha256").update(content).digest("hex");
}

function cut(message: string): string {
  return message.length <= MAX_COMMIT_MESSAGE ? message : `${message.slice(0, MAX_COMMIT_MESSAGE)}…`;
}

/** What the server hands the release route: the repository reader and the operator's platform. */
export interface ReleaseSources {
  readonly repositories: RepositoryReader;
  /** The operator's platform as it is now (validation needs its channels, teams and defaults). */
  platform(): Promise<LoadedPlatform>;
  /** A repository as messages may show it (without credentials in its URL). */
  show(repository: string): string;
}
