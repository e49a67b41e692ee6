/**
 * The GitOps target: the embedded default when a target has no cluster. A deploy writes the
 * rendered objects into `<target>/<app>/` of a git repository, one file per object, commits with
 * a message naming app, target, commit and image, and pushes when the checkout has an `origin`.
 * The directory mirrors the render: files of objects no longer rendered are removed (whether the
 * cluster then prunes them is the GitOps controller's own `prune` setting). An unchanged render
 * makes no commit. Plans and results compare with what is pushed, never with the working tree, so a
 * deploy interrupted before its commit or push is finished by the next one (docs/gitops.md).
 * See docs/adr/0004 for how Secrets get in.
 */
import { join } from "node:path";
import { ErrorCode, isSlipwayError, SlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import type { SecretSealer } from "../delivery/deploy-target.ts";
import {
  type ApplyRequest,
  type ApplyResult,
  ChangeAction,
  type DeployProgress,
  type DeployTarget,
  type ObjectChange,
  type PlanRequest,
} from "../delivery/deploy-target.ts";
import { planChanges } from "../delivery/plan-changes.ts";
import { isSecret } from "../delivery/redact.ts";
import {
  assertClean,
  finishWriting,
  interruptedWrite,
  ownFiles,
  startWriting,
  undoInterruptedWrite,
} from "./checkout-state.ts";
import { commitMessage } from "./commit-message.ts";
import { fileNamesFor, scopeDir } from "./layout.ts";
import { isNoSpace, noSpaceError, restoreFilesFromHead } from "./no-space.ts";
import { describeHolder, withRepoLock } from "./repo-lock.ts";
import { assertWritableScope, readScopeFilesAt, replaceScopeFiles, type ScopeFile } from "./scope-files.ts";
import { assertNoPlaintextSecrets, isSopsEncrypted } from "./secret-guard.ts";
import {
  fetchRemote,
  headCommit,
  isRepository,
  openWorkingCopy,
  publishedRevision,
  pushIfAhead,
  syncWithRemote,
  type WorkingCopy,
} from "./working-copy.ts";

export type { SecretSealer };

export interface GitOpsTargetOptions {
  /** Slipway's checkout of the GitOps repository; created when missing. */
  readonly dir: string;
  /** Cloned into `dir` when it is not a repository yet. */
  readonly url?: string;
  readonly branch?: string;
  readonly author?: { readonly name: string; readonly email: string };
  /** Without one, a Secret with values is refused (never written in plaintext). */
  readonly sealer?: SecretSealer;
  readonly lockTimeoutMs?: number;
}

const DEFAULT_AUTHOR = { name: "Slipway", email: "slipway@localhost" };
const LOCK_FILE = "slipway-deploy.lock";

export class GitOpsTarget implements DeployTarget {
  readonly undo = "git-revert";
  readonly #options: GitOpsTargetOptions;

  constructor(options: GitOpsTargetOptions) {
    this.#options = options;
  }

  describe(): string {
    const branch = this.#options.branch === undefined ? "" : ` (${this.#options.branch})`;
    return `GitOps repository ${this.#options.dir}${branch}`;
  }

  async plan(request: PlanRequest): Promise<readonly ObjectChange[]> {
    const dir = scopeDir(request.scope);
    // A plan must not create a repository; a missing one simply holds nothing yet.
    if (!isRepository(this.#options.dir) && this.#options.url === undefined) {
      return this.#compare(request, await this.#prepare(request.objects, []), []);
    }
    const purpose = `diff of ${request.scope.app} in ${request.scope.target}`;
    return this.#locked(purpose, request.onProgress, async (wc) => {
      // Read-only: compared with what is committed and pushed, whatever the working tree holds.
      // Files an interrupted deploy left uncommitted are ignored (the next deploy redoes it).
      const interrupted = await interruptedWrite(wc);
      await assertClean(wc, dir, interrupted?.dir);
      await fetchRemote(wc);
      const published = await publishedRevision(wc);
      const existing = published === undefined ? [] : await readScopeFilesAt(wc.git, published, dir);
      return this.#compare(request, await this.#prepare(request.objects, existing), existing);
    });
  }

  async apply(request: ApplyRequest): Promise<ApplyResult> {
    const dir = scopeDir(request.scope);
    const progress = request.onProgress ?? (() => {});
    if (request.rollbackOnFailure === true) {
      // Refused rather than ignored: the caller would believe a failed rollout gets undone.
      throw new SlipwayError(
        ErrorCode.Input,
        `${this.describe()} cannot roll back a failed rollout: its GitOps controller applies the commit, out of Slipway's sight. Undo a deploy there by reverting its commit (git revert) and pushing.`,
      );
    }
    if (request.wait) {
      progress({
        type: "note",
        text: "a GitOps target cannot wait for the rollout: the GitOps controller applies it",
      });
    }
    const purpose = `deploy ${request.scope.app} to ${request.scope.target}`;
    try {
      return await this.#locked(purpose, progress, (wc) => this.#applyLocked(wc, request, dir, purpose));
    } catch (error) {
      // The lock (or the checkout itself) could not be written: nothing else was.
      if (isNoSpace(error) && !(isSlipwayError(error) && error.details.noSpace === true)) {
        throw noSpaceError(this.#options.dir, error, undefined);
      }
      throw error;
    }
  }

  /** `apply` under the lock; a full disk puts the checkout back to its last commit and says so. */
  async #applyLocked(wc: WorkingCopy, request: ApplyRequest, dir: string, purpose: string) {
    const before = await headCommit(wc);
    try {
      return await this.#applyChecked(wc, request, dir, purpose);
    } catch (error) {
      if (!isNoSpace(error)) throw error;
      // Files written so far go. Putting them back writes the index, which a full disk may not
      // allow: when the files are the last commit's anyway, only the note is cleared; otherwise
      // the note stays and the next deploy puts them back.
      const undone = await undoInterruptedWrite(wc).then(
        () => true,
        () => false,
      );
      const clean = undone || (await unchangedScope(wc, dir)) || (await restoreFilesFromHead(wc, dir));
      if (clean) await finishWriting(wc).catch(() => undefined);
      const after = await headCommit(wc).catch(() => before);
      throw noSpaceError(this.#options.dir, error, after !== before ? after : undefined, clean);
    }
  }

  async #applyChecked(
    wc: WorkingCopy,
    request: ApplyRequest,
    dir: string,
    purpose: string,
  ): Promise<ApplyResult> {
    const progress = request.onProgress ?? (() => {});
    const undone = await undoInterruptedWrite(wc);
    if (undone !== undefined) {
      progress({
        type: "note",
        text: `${undone.purpose} (started ${undone.since}) was interrupted before its commit; its files in ${undone.dir} were put back to the last commit`,
      });
    }
    await assertClean(wc, dir);
    const unreachable = await syncWithRemote(wc);
    if (unreachable !== undefined) {
      progress({
        type: "note",
        text: `the GitOps remote could not be reached (${firstLine(unreachable.message)}); committing in the checkout, to be pushed by the next deploy`,
      });
    }
    const head = (await headCommit(wc)) === undefined ? [] : await readScopeFilesAt(wc.git, "HEAD", dir);
    const publishedRev = await publishedRevision(wc);
    const published =
      publishedRev === undefined
        ? []
        : publishedRev === (await headCommit(wc))
          ? head
          : await readScopeFilesAt(wc.git, publishedRev, dir);
    const objects = await this.#prepare(request.objects, head);
    // What reaches the GitOps controller: compared with what is pushed, not with the working
    // tree, so that a deploy interrupted before its commit or its push is finished now.
    const changes = this.#compare(request, objects, published);
    const toCommit = this.#compare(request, objects, head);
    const committed =
      toCommit.some((c) => c.action !== ChangeAction.Unchanged) &&
      (await this.#commit(
        wc,
        dir,
        fileNamesFor(objects),
        commitMessage(request.scope, request.release, toCommit),
        purpose,
      ));
    for (const change of changes) {
      if (change.action !== ChangeAction.Unchanged)
        progress({ type: "object", ref: change.ref, action: change.action });
    }
    // Also pushes commits an earlier deploy made but could not push.
    const pushed = await pushIfAhead(wc).catch(async (error: unknown) => {
      if (unreachable === undefined || !isSlipwayError(error)) throw error;
      const head = await headCommit(wc);
      throw new SlipwayError(
        ErrorCode.Git,
        `the GitOps remote could not be reached: ${unreachable.message.trim()}\n` +
          `The deploy ${committed ? `was committed as ${head?.slice(0, 12)}` : "had nothing new to commit"} in ${wc.dir}, and nothing was pushed. ` +
          "The commit stays in the checkout; the next deploy pushes it.",
        { cause: error, details: { ...unreachable.details, committed: committed ? head : null } },
      );
    });
    const earlier = pushed - (committed ? 1 : 0);
    if (earlier > 0) {
      progress({
        type: "note",
        text: `pushed ${earlier} earlier commit(s) that had not reached the remote yet`,
      });
    }
    const revision = await headCommit(wc);
    if (revision !== undefined && (committed || pushed > 0)) {
      progress({ type: "revision", id: revision, pushed: pushed > 0 });
    }
    return { changes, wrote: committed || pushed > 0, ...(revision === undefined ? {} : { revision }) };
  }

  /** Writes the scope's files and commits them; false when git finds nothing to commit. */
  async #commit(
    wc: WorkingCopy,
    dir: string,
    files: ReadonlyMap<string, KubeObject>,
    message: string,
    purpose: string,
  ): Promise<boolean> {
    // Refused links are found before the note, so a refused deploy leaves nothing to undo.
    await assertWritableScope(wc.dir, dir);
    await startWriting(wc, dir, purpose);
    await replaceScopeFiles(wc.dir, dir, files);
    // Only Slipway's own files: a README a person keeps beside them stays theirs to commit.
    const ours = ownFiles(dir);
    await wc.git(["add", "-A", "--", ours]);
    const staged = await wc.git(["diff", "--cached", "--quiet", "--", ours], { okExitCodes: [1] });
    if (staged.exitCode === 1) {
      await wc.git(["commit", "-q", "--no-verify", "-F", "-", "--", ours], { input: message });
    }
    await finishWriting(wc);
    return staged.exitCode === 1;
  }

  #compare(
    request: PlanRequest,
    objects: readonly KubeObject[],
    existing: readonly ScopeFile[],
  ): ObjectChange[] {
    fileNamesFor(objects);
    // The repository mirrors the render, so stale files always go (see the file comment).
    return planChanges(
      objects,
      existing.map((f) => f.object),
      {
        scope: request.scope,
        prune: true,
        ...(request.allowEmpty === undefined ? {} : { allowEmpty: request.allowEmpty }),
      },
    );
  }

  /** Seals plaintext Secrets when a sealer is configured, then refuses any plaintext left. */
  async #prepare(objects: readonly KubeObject[], existing: readonly ScopeFile[]): Promise<KubeObject[]> {
    const sealer = this.#options.sealer;
    const prepared: KubeObject[] = [];
    for (const o of objects) {
      if (sealer === undefined || !isSecret(o) || isSopsEncrypted(o)) {
        prepared.push(o);
        continue;
      }
      const previous = existing.find(
        (f) => f.object.kind === o.kind && f.object.metadata.name === o.metadata.name,
      )?.object;
      prepared.push(await sealer.seal(o, previous));
    }
    assertNoPlaintextSecrets(prepared);
    return prepared;
  }

  async #locked<T>(
    purpose: string,
    onProgress: ((event: DeployProgress) => void) | undefined,
    fn: (wc: WorkingCopy) => Promise<T>,
  ): Promise<T> {
    const wc = await openWorkingCopy({
      dir: this.#options.dir,
      author: this.#options.author ?? DEFAULT_AUTHOR,
      ...(this.#options.url === undefined ? {} : { url: this.#options.url }),
      ...(this.#options.branch === undefined ? {} : { branch: this.#options.branch }),
    });
    return withRepoLock(join(wc.gitDir, LOCK_FILE), () => fn(wc), {
      purpose,
      onWait: (holder, timeoutMs) =>
        onProgress?.({
          type: "note",
          text: `waiting up to ${Math.round(timeoutMs / 1000)} s for another deploy to finish with ${this.#options.dir}: ${describeHolder(holder)}`,
        }),
      ...(this.#options.lockTimeoutMs === undefined ? {} : { timeoutMs: this.#options.lockTimeoutMs }),
    });
  }
}

const firstLine = (text: string) => text.split("\n")[0] ?? text;

/** Whether the scope's files are the last commit's, asked without writing anything (a full disk). */
async function unchangedScope(wc: WorkingCopy, dir: string): Promise<boolean> {
  const status = await wc
    .git(["status", "--porcelain", "--untracked-files=all", "--", dir], { env: { GIT_OPTIONAL_LOCKS: "0" } })
    .catch(() => undefined);
  return status !== undefined && status.stdout.trim() === "";
}
