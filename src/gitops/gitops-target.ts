/**
 * The GitOps target: the embedded default when a target has no cluster. A deploy writes the
 * rendered objects into `<target>/<app>/` of a git repository, one file per object, commits with
 * a message naming app, target, commit and image, and pushes when the checkout has an `origin`.
 * The directory mirrors the render: files of objects no longer rendered are removed (whether the
 * cluster then prunes them is the GitOps controller's own `prune` setting). An unchanged render
 * makes no commit. See docs/adr/0004 for how Secrets get in.
 */
import { join } from "node:path";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import {
  type ApplyRequest,
  type ApplyResult,
  ChangeAction,
  type DeployTarget,
  type ObjectChange,
  type PlanRequest,
} from "../delivery/deploy-target.ts";
import { planChanges } from "../delivery/plan-changes.ts";
import { isSecret } from "../delivery/redact.ts";
import { commitMessage } from "./commit-message.ts";
import { fileNamesFor, scopeDir } from "./layout.ts";
import { withRepoLock } from "./repo-lock.ts";
import { readScopeFiles, replaceScopeFiles, type ScopeFile } from "./scope-files.ts";
import { assertNoPlaintextSecrets, isSopsEncrypted } from "./secret-guard.ts";
import {
  headCommit,
  isRepository,
  openWorkingCopy,
  pushIfAhead,
  syncWithRemote,
  type WorkingCopy,
} from "./working-copy.ts";

/** Turns a rendered Secret into its SOPS-encrypted form for the repository. */
export interface SecretSealer {
  /**
   * Contract: when `previous` (the encrypted copy the repository holds) decrypts to the values of
   * `plain`, return `previous` itself. SOPS encryption is randomized, so re-encrypting an
   * unchanged Secret would otherwise make a commit on every deploy.
   */
  seal(plain: KubeObject, previous: KubeObject | undefined): Promise<KubeObject>;
}

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
    return this.#locked(async (wc) => {
      await syncWithRemote(wc);
      const existing = await readScopeFiles(join(wc.dir, dir));
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
    return this.#locked(async (wc) => {
      await syncWithRemote(wc);
      const existing = await readScopeFiles(join(wc.dir, dir));
      const objects = await this.#prepare(request.objects, existing);
      const files = fileNamesFor(objects);
      const changes = this.#compare(request, objects, existing);
      const changed = changes.filter((c) => c.action !== ChangeAction.Unchanged);
      let wrote = false;
      if (changed.length > 0) {
        await replaceScopeFiles(join(wc.dir, dir), files, existing);
        // Only Slipway's own files: a README a person keeps beside them stays theirs to commit.
        const ours = `:(glob)${dir}/*.yaml`;
        await wc.git(["add", "-A", "--", ours]);
        const staged = await wc.git(["diff", "--cached", "--quiet", "--", ours], { okExitCodes: [1] });
        if (staged.exitCode === 1) {
          await wc.git(["commit", "-q", "--no-verify", "-F", "-", "--", ours], {
            input: commitMessage(request.scope, request.release, changes),
          });
          wrote = true;
        }
        for (const change of changed) progress({ type: "object", ref: change.ref, action: change.action });
      }
      // Also pushes a commit an earlier deploy made but could not push.
      const pushed = await pushIfAhead(wc);
      const revision = await headCommit(wc);
      if (revision !== undefined && (wrote || pushed)) progress({ type: "revision", id: revision, pushed });
      return { changes, wrote, ...(revision === undefined ? {} : { revision }) };
    });
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

  async #locked<T>(fn: (wc: WorkingCopy) => Promise<T>): Promise<T> {
    const wc = await openWorkingCopy({
      dir: this.#options.dir,
      author: this.#options.author ?? DEFAULT_AUTHOR,
      ...(this.#options.url === undefined ? {} : { url: this.#options.url }),
      ...(this.#options.branch === undefined ? {} : { branch: this.#options.branch }),
    });
    return withRepoLock(join(wc.gitDir, LOCK_FILE), () => fn(wc), {
      ...(this.#options.lockTimeoutMs === undefined ? {} : { timeoutMs: this.#options.lockTimeoutMs }),
    });
  }
}
