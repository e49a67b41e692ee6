/**
 * App repositories for release tests: real git repositories in temporary directories holding a
 * `slipway.yaml` and SOPS files encrypted for a generated age key, and the release sources a test
 * server reads them with (local paths allowed, the built-in default platform).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { generateIdentity, identityToRecipient } from "age-encryption";
import pg from "pg";
import type { ReleaseSources } from "../../src/delivery/release-from-git.ts";
import { AgeKeyBackend } from "../../src/secrets/backends/age.ts";
import { encryptDocument } from "../../src/secrets/format/sops-file.ts";
import { KeyRing } from "../../src/secrets/key-ring.ts";
import { displayRepository, GitSource } from "../../src/source/git-source.ts";
import { defaultPlatform } from "../../src/spec/parse.ts";
import type { TestDatabase } from "./databases.ts";

export const imageRepository = "registry.example.com/payments/checkout";

/** `registry…/checkout@sha256:<n repeated>`: a digest per test number. */
export function imageAt(n: number): string {
  return `${imageRepository}@sha256:${n.toString(16).padStart(2, "0").repeat(32)}`;
}

export function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd: dir,
    encoding: "utf8",
    env: {
      ...process.env,
      LC_ALL: "C",
      GIT_AUTHOR_NAME: "Ada Author",
      GIT_AUTHOR_EMAIL: "ada@example.test",
      GIT_AUTHOR_DATE: "2026-11-30T10:00:00Z",
      GIT_COMMITTER_NAME: "Ci Committer",
      GIT_COMMITTER_EMAIL: "ci@example.test",
      GIT_COMMITTER_DATE: "2026-11-30T10:05:00Z",
    },
  }).trim();
}

export function appSpec(
  options: { name?: string; team?: string; secrets?: readonly string[]; extra?: string } = {},
): string {
  const secrets = options.secrets ?? ["secrets/app.enc.yaml"];
  return [
    "apiVersion: slipway.dev/v1",
    "kind: App",
    `name: ${options.name ?? "checkout"}`,
    `team: ${options.team ?? "payments"}`,
    "image:",
    `  repository: ${imageRepository}`,
    "ports:",
    "  - name: http",
    "    port: 8080",
    ...(secrets.length > 0
      ? ["secrets:", ...secrets.map((file, i) => `  - { name: s${i}, file: ${file} }`)]
      : []),
    options.extra ?? "",
  ].join("\n");
}

const identity = await generateIdentity();
const recipient = await identityToRecipient(identity);
const keys = new KeyRing([new AgeKeyBackend([identity])]);

/** A real SOPS file (age) holding `plaintext` (YAML), as `slipway secrets encrypt` writes it. */
export function encrypted(plaintext: string, file = "app.enc.yaml"): Promise<string> {
  return encryptDocument(new TextEncoder().encode(plaintext), {
    file,
    keyGroups: [[{ type: "age", recipient }]],
    keys,
    now: new Date("2026-11-23T12:00:00Z"),
  });
}

/** Writes `files` (path → text) into `repo` and commits them; returns the commit id. */
export function commitFiles(repo: string, files: Readonly<Record<string, string>>, message: string): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "--allow-empty", "-m", message);
  return git(repo, "rev-parse", "HEAD");
}

export function newRepository(): string {
  const repo = mkdtempSync(join(tmpdir(), "slipway-app-repo-"));
  git(repo, "init", "-q", "-b", "main");
  return repo;
}

export function removeRepository(repo: string): void {
  rmSync(repo, { recursive: true, force: true });
}

/** What a test server reads releases with: local paths allowed, the built-in platform. */
export function testReleaseSources(options: { allowLocal?: boolean } = {}): ReleaseSources {
  const platform = defaultPlatform();
  return {
    repositories: new GitSource({
      cacheDir: mkdtempSync(join(tmpdir(), "slipway-mirrors-")),
      allowLocal: options.allowLocal ?? true,
    }),
    platform: async () => platform,
    show: displayRepository,
  };
}

/** Rows per table, read behind the store's back: "nothing stored" means these did not move. */
export async function rowCounts(database: TestDatabase): Promise<Record<string, number>> {
  const tables = ["releases", "release_files", "snapshot_blobs", "audit_events", "apps"];
  const counts: Record<string, number> = {};
  if (database.kind === "sqlite") {
    const db = new DatabaseSync(database.location, { readOnly: true });
    try {
      for (const t of tables) {
        counts[t] = Number((db.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n);
      }
    } finally {
      db.close();
    }
    return counts;
  }
  const client = new pg.Client({
    connectionString: database.location,
    options: `-c search_path=${database.schema}`,
  });
  await client.connect();
  try {
    for (const t of tables) {
      counts[t] = Number((await client.query<{ n: string }>(`select count(*) as n from ${t}`)).rows[0]!.n);
    }
  } finally {
    await client.end();
  }
  return counts;
}
