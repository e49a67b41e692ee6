/**
 * Where the real peer binaries live, for tests and benchmarks (test support only; no production
 * code imports this).
 *
 * `npm run tools` (scripts/install-tools.sh) builds them from the Go module proxy into
 * `~/.cache/slipway/` (or `$SLIPWAY_CACHE`), keyed by the versions in `scripts/peer-versions.env`:
 * `<cache>/<group>/<version>/<binary>`. This module reads the same file so both always agree.
 *
 * Stable API:
 *   peerPath("sops")      → absolute path of the binary; throws a SlipwayError (code
 *                           SLIPWAY_E_UNAVAILABLE) whose message says to run `npm run tools`
 *                           (or `npm run tools -- <group>` for just that one) when it is missing.
 *   hasPeer("helm")       → boolean, for a test that wants to say *why* it fails before it runs.
 *   peerVersion("kubectl")→ the version that was built, e.g. "v1.37.2".
 *   kwokStageDir()        → directory of kwok's Stage files (node-fast, pod-general, pod-chaos, …).
 *   PEERS                 → the names peerPath accepts.
 *
 * A test that needs a peer calls peerPath at its start and lets the error fail the test: tests are
 * never skipped because a peer is missing.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ErrorCode, SlipwayError } from "../core/errors.ts";

/** Each peer: the install-tools group that builds it and the versions-file key of that group. */
const catalog = {
  "kube-apiserver": { group: "control-plane", dir: "k8s", versionKey: "K8S_VERSION" },
  "kube-controller-manager": { group: "control-plane", dir: "k8s", versionKey: "K8S_VERSION" },
  "kube-scheduler": { group: "control-plane", dir: "k8s", versionKey: "K8S_VERSION" },
  kubectl: { group: "control-plane", dir: "k8s", versionKey: "K8S_VERSION" },
  etcd: { group: "control-plane", dir: "k8s", versionKey: "K8S_VERSION" },
  kwok: { group: "kwok", dir: "kwok", versionKey: "KWOK_VERSION" },
  sops: { group: "sops", dir: "sops", versionKey: "SOPS_VERSION" },
  age: { group: "age", dir: "age", versionKey: "AGE_VERSION" },
  "age-keygen": { group: "age", dir: "age", versionKey: "AGE_VERSION" },
  helm: { group: "helm", dir: "helm", versionKey: "HELM_VERSION" },
  "kube-score": { group: "kube-score", dir: "kube-score", versionKey: "KUBE_SCORE_VERSION" },
  "oidc-server": { group: "oidc", dir: "oidc", versionKey: "OIDC_VERSION" },
} as const;

export type PeerName = keyof typeof catalog;
export const PEERS: readonly PeerName[] = Object.keys(catalog) as PeerName[];

const versionsFile = new URL("../../scripts/peer-versions.env", import.meta.url);
let versions: Map<string, string> | undefined;

function readVersions(): Map<string, string> {
  if (versions) return versions;
  const parsed = new Map<string, string>();
  for (const line of readFileSync(versionsFile, "utf8").split("\n")) {
    const m = /^([A-Z0-9_]+)=(\S+)\s*$/.exec(line);
    if (m?.[1] && m[2]) parsed.set(m[1], m[2]);
  }
  versions = parsed;
  return parsed;
}

/** The cache root `npm run tools` writes to. */
export function peerCacheDir(): string {
  return process.env.SLIPWAY_CACHE ?? join(homedir(), ".cache", "slipway");
}

export function peerVersion(name: PeerName): string {
  const key = catalog[name].versionKey;
  const v = readVersions().get(key);
  if (!v) {
    throw new SlipwayError(ErrorCode.Internal, `scripts/peer-versions.env has no ${key}; restore that file`);
  }
  return v;
}

function candidate(name: PeerName): string {
  return join(peerCacheDir(), catalog[name].dir, peerVersion(name), name);
}

export function hasPeer(name: PeerName): boolean {
  return existsSync(candidate(name));
}

export function peerPath(name: PeerName): string {
  const path = candidate(name);
  if (!existsSync(path)) {
    const group = catalog[name].group;
    throw new SlipwayError(
      ErrorCode.Unavailable,
      `${name} (${group} ${peerVersion(name)}) is not built (looked for ${path}). Run \`npm run tools\` ` +
        `(or just \`npm run tools -- ${group}\`) to build it from the Go module proxy.`,
      { details: { peer: name, path, command: "npm run tools" } },
    );
  }
  return path;
}

export function kwokStageDir(): string {
  const kwok = peerPath("kwok");
  const dir = join(kwok, "..", "stage");
  if (!existsSync(dir)) {
    throw new SlipwayError(
      ErrorCode.Unavailable,
      `kwok's Stage files are missing (looked for ${dir}). Run \`npm run tools -- kwok\` after removing ${join(kwok, "..")}.`,
      { details: { peer: "kwok", path: dir, command: "npm run tools" } },
    );
  }
  return dir;
}
