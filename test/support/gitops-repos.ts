/**
 * Real git repositories for the GitOps tests: a checkout Slipway owns, a bare remote that receives
 * its pushes, clones of people who push behind Slipway's back, and a `git` that kills the process
 * running it at a chosen command (a deploy interrupted at that step).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeObject } from "../../src/core/kube-object.ts";
import type { ApplyRequest } from "../../src/delivery/deploy-target.ts";

export const IMAGE = `registry.example/shop@sha256:${"a".repeat(64)}`;
export const COMMIT = "0123456789abcdef0123456789abcdef01234567";

export function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, LC_ALL: "C" },
  }).trim();
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "slipway-gitops-"));
}

/** A clone as a person would have it, with its own identity (no global git config is relied on). */
export function cloneAs(url: string, name: string): string {
  const dir = join(tempDir(), name);
  execFileSync("git", ["clone", "-q", url, dir]);
  git(dir, "config", "user.name", name);
  git(dir, "config", "user.email", `${name}@example.test`);
  return dir;
}

export function bareRemote(): string {
  const dir = join(tempDir(), "gitops.git");
  execFileSync("git", ["init", "-q", "--bare", "-b", "main", dir]);
  return dir;
}

export function deployment(app: string, replicas = 2): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: app, namespace: app, labels: { "slipway.dev/app": app } },
    spec: { replicas, template: { spec: { containers: [{ name: app, image: IMAGE }] } } },
  };
}

export function service(app: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: app, namespace: app },
    spec: { ports: [{ port: 80 }] },
  };
}

export function request(app: string, objects: KubeObject[], extra: Partial<ApplyRequest> = {}): ApplyRequest {
  return {
    scope: { app, target: "stable" },
    objects,
    prune: true,
    wait: false,
    release: { commit: COMMIT, image: IMAGE },
    ...extra,
  };
}

export const commitCount = (dir: string, ref = "HEAD") => Number(git(dir, "rev-list", "--count", ref));

/**
 * A directory holding a `git` that, asked to run `step` (e.g. `commit` or `push`), SIGKILLs the
 * process that ran it, as a power cut or `kill -9` would, and otherwise runs the real git. Put it
 * first on the PATH of a child process.
 */
export function gitKilledAt(step: string): string {
  const dir = tempDir();
  const real = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
  const shim = join(dir, "git");
  writeFileSync(
    shim,
    `#!/bin/sh\nif [ "$1" = ${JSON.stringify(step)} ]; then kill -9 "$PPID"; sleep 5; exit 1; fi\nexec ${JSON.stringify(real)} "$@"\n`,
  );
  chmodSync(shim, 0o755);
  return dir;
}
