/**
 * Releases from git, through the HTTP API on SQLite and PostgreSQL: the server fetches the commit
 * of a real repository, reads slipway.yaml and the SOPS files there, validates them and stores a
 * content-addressed snapshot; a release is immutable; and every refusal leaves the store exactly as
 * it was (row counts read behind the store's back).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadReleaseSnapshot, readSnapshotFile } from "../src/delivery/release-snapshot.ts";
import { systemActor } from "../src/store/store.ts";
import { createHarness, type Harness } from "./support/api-harness.ts";
import {
  appSpec,
  commitFiles,
  encrypted,
  imageAt,
  newRepository,
  removeRepository,
  rowCounts,
  testReleaseSources,
} from "./support/release-repos.ts";

interface ReleaseBody {
  release: {
    id: string;
    appName: string;
    commitSha: string;
    imageDigest: string;
    specHash: string;
    secretsHash: string;
    commitTime: string | null;
    committedAt: string | null;
    commitAuthor: string | null;
    commitMessage: string | null;
    repository: string | null;
    path: string | null;
  };
  created: boolean;
}

interface ErrorBody {
  error: {
    code: string;
    message: string;
    details: { problems?: { file: string; line: number; column: number; path: string; message: string }[] };
  };
}

for (const kind of ["sqlite", "postgres"] as const)
  describe(`releases from git on ${kind}`, () => {
    let h: Harness;
    let repo: string;
    let first: string;
    const post = (body: Record<string, unknown>, as: "developer" | "viewer" = "developer") =>
      h.call("POST", "/api/v1/apps/checkout/releases", { as, body });

    before(async () => {
      h = await createHarness({ kind });
      await h.store.createApp(systemActor, { name: "checkout", teamName: "payments", description: "" });
      repo = newRepository();
      first = commitFiles(
        repo,
        {
          "README.md": "shop\n",
          "apps/checkout/slipway.yaml": appSpec(),
          "apps/checkout/secrets/app.enc.yaml": await encrypted("password: hunter2\n"),
        },
        "checkout: first release\n\nwith a body",
      );
    });
    after(async () => {
      await h.dispose();
      removeRepository(repo);
    });

    /** Asserts the response is the refusal expected and that nothing was stored. */
    async function refused(
      body: Record<string, unknown>,
      status: number,
      code: string,
      message: RegExp,
    ): Promise<ErrorBody["error"]> {
      const before = await rowCounts(h.database);
      const response = await post(body);
      const error = ((await response.json()) as ErrorBody).error;
      assert.equal(response.status, status, JSON.stringify(error));
      assert.equal(error.code, code);
      assert.match(error.message, message);
      assert.deepEqual(await rowCounts(h.database), before, "nothing stored");
      return error;
    }

    test("a release is read at its commit: snapshot, commit record, content-addressed files", async () => {
      const response = await post({
        repository: repo,
        path: "apps/checkout",
        commit: first,
        image: imageAt(1),
      });
      assert.equal(response.status, 201);
      const { release, created } = (await response.json()) as ReleaseBody;
      assert.equal(created, true);
      assert.equal(release.commitSha, first);
      assert.equal(release.imageDigest, `sha256:${"01".repeat(32)}`);
      assert.equal(release.commitAuthor, "Ada Author <ada@example.test>");
      assert.equal(release.commitTime, "2026-11-30T10:00:00.000Z");
      assert.equal(release.committedAt, "2026-11-30T10:05:00.000Z");
      assert.equal(release.commitMessage, "checkout: first release\n\nwith a body");
      assert.equal(release.repository, repo);
      assert.equal(release.path, "apps/checkout");

      // The engine reads back exactly the bytes of the commit: the spec, and the ciphertext.
      const snapshot = await loadReleaseSnapshot(h.store, release.id);
      assert.equal(snapshot.specText, appSpec());
      assert.deepEqual([...snapshot.files.keys()].sort(), ["secrets/app.enc.yaml", "slipway.yaml"]);
      const secret = Buffer.from(readSnapshotFile(snapshot, "./secrets/app.enc.yaml")).toString("utf8");
      assert.equal(secret, readFileSync(join(repo, "apps/checkout/secrets/app.enc.yaml"), "utf8"));
      assert.match(secret, /ENC\[AES256_GCM/);
      assert.doesNotMatch(secret, /hunter2/);

      // Another digest of the same commit is another release, sharing the stored files.
      const blobs = (await rowCounts(h.database)).snapshot_blobs;
      const other = await post({ repository: repo, path: "apps/checkout", commit: first, image: imageAt(2) });
      assert.equal(other.status, 201);
      const counts = await rowCounts(h.database);
      assert.equal(counts.snapshot_blobs, blobs, "the same content is stored once");
      assert.equal(counts.release_files, 4);
    });

    test("immutable: the same app, commit and digest returns the release there is (200), even once the repository is gone", async () => {
      const scratch = newRepository();
      const commit = commitFiles(
        scratch,
        {
          "slipway.yaml": appSpec({ secrets: [] }),
        },
        "root app",
      );
      const body = { repository: scratch, commit, image: imageAt(3) };
      const made = await post(body);
      assert.equal(made.status, 201);
      const { release } = (await made.json()) as ReleaseBody;
      assert.equal(release.path, "");
      removeRepository(scratch);
      const before = await rowCounts(h.database);
      const again = await post(body);
      assert.equal(again.status, 200);
      const second = (await again.json()) as ReleaseBody;
      assert.equal(second.created, false);
      assert.equal(second.release.id, release.id);
      assert.deepEqual(await rowCounts(h.database), before);
    });

    test("a different spec at another commit is another release; the same identity with other content is a conflict", async () => {
      const second = commitFiles(
        repo,
        { "apps/checkout/slipway.yaml": appSpec({ extra: "replicas: 3\n" }) },
        "three",
      );
      const a = (await (
        await post({ repository: repo, path: "apps/checkout", commit: first, image: imageAt(4) })
      ).json()) as ReleaseBody;
      const responseB = await post({
        repository: repo,
        path: "apps/checkout",
        commit: second,
        image: imageAt(4),
      });
      assert.equal(responseB.status, 201);
      const b = (await responseB.json()) as ReleaseBody;
      assert.notEqual(a.release.id, b.release.id);
      assert.notEqual(a.release.specHash, b.release.specHash);
      assert.equal(a.release.secretsHash, b.release.secretsHash, "the secret file did not change");
      const snapshot = await loadReleaseSnapshot(h.store, b.release.id);
      assert.match(snapshot.specText, /replicas: 3/);
      assert.doesNotMatch((await loadReleaseSnapshot(h.store, a.release.id)).specText, /replicas: 3/);

      // The same (app, commit, digest) read from another directory holding other content.
      commitFiles(repo, { "copy/checkout/slipway.yaml": appSpec({ secrets: [] }) }, "copy");
      const third = commitFiles(repo, {}, "empty");
      await post({ repository: repo, path: "apps/checkout", commit: third, image: imageAt(5) });
      await refused(
        { repository: repo, path: "copy/checkout", commit: third, image: imageAt(5) },
        409,
        "SLIPWAY_E_CONFLICT",
        /releases are immutable/,
      );
    });

    test("refused, nothing stored: a tag-only image, another repository's image", async () => {
      await refused(
        {
          repository: repo,
          path: "apps/checkout",
          commit: first,
          image: "registry.example.com/payments/checkout:1.4",
        },
        400,
        "SLIPWAY_E_INPUT",
        /has no digest: a release names its image by digest/,
      );
      await refused(
        {
          repository: repo,
          path: "apps/checkout",
          commit: first,
          image: `registry.example.com/search/indexer@sha256:${"0a".repeat(32)}`,
        },
        400,
        "SLIPWAY_E_INPUT",
        /is not from checkout's repository registry\.example\.com\/payments\/checkout/,
      );
    });

    test("refused, nothing stored: a commit that does not exist, a repository that cannot be read, a directory without slipway.yaml", async () => {
      const missing = "0123456789abcdef0123456789abcdef01234567";
      await refused(
        { repository: repo, path: "apps/checkout", commit: missing, image: imageAt(6) },
        404,
        "SLIPWAY_E_NOT_FOUND",
        new RegExp(`commit ${missing} does not exist in ${repo.replaceAll("/", "\\/")}`),
      );
      await refused(
        { repository: `${repo}-gone`, commit: first, image: imageAt(6) },
        503,
        "SLIPWAY_E_GIT",
        /cannot read .*-gone: .*(does not appear to be a git repository|not a git repository)/,
      );
      await refused(
        { repository: repo, path: "apps/nowhere", commit: first, image: imageAt(6) },
        400,
        "SLIPWAY_E_INPUT",
        /there is no apps\/nowhere\/slipway\.yaml at commit/,
      );
      await refused(
        { repository: repo, path: "../outside", commit: first, image: imageAt(6) },
        400,
        "SLIPWAY_E_INPUT",
        /must be a directory inside the repository/,
      );
    });

    test("refused, nothing stored: a spec that fails validation, with positions naming the commit", async () => {
      const commit = commitFiles(
        repo,
        { "bad/slipway.yaml": appSpec({ secrets: [], extra: "replcas: 2\nport: x\n" }) },
        "typos",
      );
      const error = await refused(
        { repository: repo, path: "bad", commit, image: imageAt(7) },
        400,
        "SLIPWAY_E_SPEC_INVALID",
        new RegExp(`bad/slipway\\.yaml at commit ${commit} of .*: 2 problems`),
      );
      const problems = error.details.problems ?? [];
      assert.deepEqual(
        problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.message}`),
        [
          `${commit.slice(0, 12)}:bad/slipway.yaml:10:1 unknown field \`replcas\``,
          `${commit.slice(0, 12)}:bad/slipway.yaml:11:1 unknown field \`port\``,
        ],
      );
    });

    test("refused, nothing stored: a spec naming another app, or a team other than the registration's", async () => {
      const commit = commitFiles(
        repo,
        {
          "other/slipway.yaml": appSpec({ name: "basket", secrets: [] }),
          "stolen/slipway.yaml": appSpec({ team: "search", secrets: [] }),
        },
        "names",
      );
      const name = await refused(
        { repository: repo, path: "other", commit, image: imageAt(8) },
        400,
        "SLIPWAY_E_SPEC_INVALID",
        /other\/slipway\.yaml at commit/,
      );
      assert.match(
        name.details.problems?.[0]?.message ?? "",
        /names app `basket`, but this release is for app `checkout`/,
      );
      assert.equal(name.details.problems?.[0]?.line, 3);
      const team = await refused(
        { repository: repo, path: "stolen", commit, image: imageAt(8) },
        400,
        "SLIPWAY_E_SPEC_INVALID",
        /stolen\/slipway\.yaml at commit/,
      );
      assert.match(
        team.details.problems?.[0]?.message ?? "",
        /says team `search`, but app `checkout` is registered to team `payments`/,
      );
    });

    test("refused, nothing stored: secret files that are plaintext, half encrypted, missing, or outside the app", async () => {
      const sops = await encrypted("password: hunter2\napi_key: k\n");
      // A SOPS file with one value put back in clear: the MAC would catch it at deploy, but the
      // plaintext would already be in the store.
      const tampered = sops.replace(/api_key: ENC\[[^\]]*\]/, "api_key: in-clear");
      assert.notEqual(tampered, sops);
      const commit = commitFiles(
        repo,
        {
          "plain/slipway.yaml": appSpec({ secrets: ["app.yaml"] }),
          "plain/app.yaml": "password: hunter2\n",
          "half/slipway.yaml": appSpec({ secrets: ["app.enc.yaml"] }),
          "half/app.enc.yaml": tampered,
          "absent/slipway.yaml": appSpec({ secrets: ["secrets/nope.enc.yaml"] }),
          "escape/slipway.yaml": appSpec({ secrets: ["../apps/checkout/secrets/app.enc.yaml"] }),
        },
        "secret mistakes",
      );
      const plain = await refused(
        { repository: repo, path: "plain", commit, image: imageAt(9) },
        400,
        "SLIPWAY_E_SPEC_INVALID",
        /plain\/slipway\.yaml at commit/,
      );
      assert.equal(plain.details.problems?.[0]?.file, `${commit.slice(0, 12)}:plain/app.yaml`);
      assert.match(
        plain.details.problems?.[0]?.message ?? "",
        /is not a SOPS-encrypted file \(no sops metadata found/,
      );
      assert.doesNotMatch(JSON.stringify(plain), /hunter2/);
      const half = await refused(
        { repository: repo, path: "half", commit, image: imageAt(9) },
        400,
        "SLIPWAY_E_SPEC_INVALID",
        /half\/slipway\.yaml/,
      );
      assert.match(
        half.details.problems?.[0]?.message ?? "",
        /is not fully SOPS-encrypted: api_key in plaintext/,
      );
      assert.doesNotMatch(JSON.stringify(half), /in-clear/);
      const absent = await refused(
        { repository: repo, path: "absent", commit, image: imageAt(9) },
        400,
        "SLIPWAY_E_SPEC_INVALID",
        /absent\/slipway\.yaml/,
      );
      assert.match(
        absent.details.problems?.[0]?.message ?? "",
        /secret file secrets\/nope\.enc\.yaml does not exist at commit/,
      );
      assert.equal(absent.details.problems?.[0]?.line, 11, "at the secrets entry that names it");
      const outside = await refused(
        { repository: repo, path: "escape", commit, image: imageAt(9) },
        400,
        "SLIPWAY_E_SPEC_INVALID",
        /escape\/slipway\.yaml/,
      );
      assert.match(outside.details.problems?.[0]?.message ?? "", /is outside the app's directory/);
    });

    test("a viewer may not create releases; a server that does not allow local paths refuses them", async () => {
      const viewer = await post(
        { repository: repo, path: "apps/checkout", commit: first, image: imageAt(10) },
        "viewer",
      );
      assert.equal(viewer.status, 403);
      const strict = await createHarness({ kind, releaseSources: testReleaseSources({ allowLocal: false }) });
      try {
        await strict.store.createApp(systemActor, {
          name: "checkout",
          teamName: "payments",
          description: "",
        });
        const response = await strict.call("POST", "/api/v1/apps/checkout/releases", {
          as: "developer",
          body: { repository: repo, path: "apps/checkout", commit: first, image: imageAt(10) },
        });
        assert.equal(response.status, 400);
        assert.match(
          ((await response.json()) as ErrorBody).error.message,
          /is not one Slipway reads: give an https:\/\/ or ssh:\/\/ URL$/,
        );
      } finally {
        await strict.dispose();
      }
    });

    test("a token in the repository URL is used to fetch, never stored or shown: the release keeps the URL without it", async () => {
      // The server has no git credentials of its own, so CI hands one in the URL (GitLab's
      // CI_REPOSITORY_URL does): here a URL with a token stands for the local repository.
      const url = (token: string) => `https://ci-job:${token}@git.example.test/shop.git`;
      const local = testReleaseSources();
      const asked: string[] = [];
      const local_ = (repository: string) => {
        asked.push(repository);
        return repository.startsWith("https://") ? repo : repository;
      };
      const sources = {
        ...local,
        repositories: {
          fetchCommit: (repository: string, commit: string) =>
            local.repositories.fetchCommit(local_(repository), commit),
          readFiles: (repository: string, commit: string, paths: readonly string[]) =>
            local.repositories.readFiles(local_(repository), commit, paths),
          listCommits: (
            repository: string,
            commit: string,
            options: { since: string; path: string; limit: number },
          ) => local.repositories.listCommits(local_(repository), commit, options),
        },
      };
      const server = await createHarness({ kind, releaseSources: sources });
      try {
        await server.store.createApp(systemActor, {
          name: "checkout",
          teamName: "payments",
          description: "",
        });
        const create = (token: string) =>
          server.call("POST", "/api/v1/apps/checkout/releases", {
            as: "developer",
            body: { repository: url(token), path: "apps/checkout", commit: first, image: imageAt(11) },
          });
        const made = await create("glcbt-first-job-token");
        assert.equal(made.status, 201);
        assert.ok(asked.includes(url("glcbt-first-job-token")), "the fetch got the URL with its token");
        const { release } = (await made.json()) as ReleaseBody;
        assert.equal(release.repository, "https://git.example.test/shop.git");
        // The next CI job's token is another string for the same repository: the same release.
        const again = await create("glcbt-second-job-token");
        assert.equal(again.status, 200);
        assert.equal(((await again.json()) as ReleaseBody).release.id, release.id);
        const shown = [
          await (await server.call("GET", "/api/v1/apps/checkout/releases", { as: "viewer" })).text(),
          await (await server.call("GET", `/api/v1/releases/${release.id}`, { as: "viewer" })).text(),
          await (await server.call("GET", "/api/v1/teams/payments/audit", { as: "admin" })).text(),
          server.logs.join("\n"),
        ].join("\n");
        assert.doesNotMatch(shown, /glcbt-/);
      } finally {
        await server.dispose();
      }
    });
  });
