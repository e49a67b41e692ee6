/**
 * The store contract: one test body, run on SQLite (`store-sqlite.test.ts`) and on PostgreSQL
 * (`store-postgres.test.ts`). A behaviour that differs between the two databases is a bug here.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ErrorCode } from "../src/core/errors.ts";
import { CachedStore } from "../src/store/cached-store.ts";
import type { Actor, Store } from "../src/store/store.ts";
import { createTestDatabase, type DatabaseKind, type TestDatabase } from "./support/databases.ts";
import { type RaceResult, race, raceWorkload } from "./support/race-workload.ts";
import { rawExec } from "./support/raw-sql.ts";

const alice: Actor = { userId: "u-alice", subject: "test:alice" };
const reviewer: Actor = { userId: "u-bob", subject: "test:bob" };
const hex = (c: string) => c.repeat(64);

function rejectsWith(code: string) {
  return (error: unknown) => {
    assert.equal((error as { code?: unknown }).code, code, String(error));
    return true;
  };
}

/**
 * `readCache`: run the same body through the server's read cache (`CachedStore`), whose answers
 * must not differ from the database's — including after other connections write.
 */
export function storeContract(kind: DatabaseKind, options: { readCache?: boolean } = {}): void {
  describe(`store contract on ${kind}${options.readCache ? " behind the read cache" : ""}`, () => {
    let database: TestDatabase;
    let store: Store;

    before(async () => {
      database = await createTestDatabase(kind);
      const opened = await database.open();
      store = options.readCache ? new CachedStore(opened) : opened;
      await store.createTeam(alice, "payments");
      await store.createTeam(alice, "search");
      await store.createTarget(alice, { name: "develop", kind: "channel" });
      await store.createTarget(alice, { name: "stable", kind: "channel" });
    });
    after(async () => {
      // Also when `before` failed half-way: the schema must not outlive the run.
      try {
        await store?.close();
      } finally {
        await database?.dispose();
      }
    });

    test("opening again runs no migration twice and keeps the data", async () => {
      const again = await database.open();
      try {
        assert.equal((await again.getTeam("payments")).name, "payments");
      } finally {
        await again.close();
      }
    });

    test("teams: duplicates conflict, missing ones are not found, lists page by name", async () => {
      await assert.rejects(store.createTeam(alice, "payments"), rejectsWith(ErrorCode.Conflict));
      await assert.rejects(store.getTeam("nope"), rejectsWith(ErrorCode.NotFound));
      const first = await store.listTeams({ limit: 1 });
      assert.deepEqual(
        first.items.map((t) => t.name),
        ["payments"],
      );
      assert.ok(first.nextCursor);
      const second = await store.listTeams({ limit: 1, cursor: first.nextCursor });
      assert.deepEqual(
        second.items.map((t) => t.name),
        ["search"],
      );
      assert.equal(second.nextCursor, null);
      await assert.rejects(store.listTeams({ limit: 1, cursor: "garbage!" }), rejectsWith(ErrorCode.Input));
    });

    test("users are created once and get roles per team", async () => {
      const bob = await store.ensureUser(alice, { subject: "test:bob", displayName: "Bob" });
      const again = await store.ensureUser(alice, { subject: "test:bob", displayName: "Robert" });
      assert.equal(again.id, bob.id);
      assert.equal(again.isAdmin, false);
      await store.setMembership(alice, "payments", bob.id, "releaser");
      await store.setMembership(alice, "search", bob.id, "viewer");
      await store.setMembership(alice, "search", bob.id, "developer");
      assert.deepEqual(await store.listMemberships(bob.id), [
        { teamName: "payments", userId: bob.id, role: "releaser" },
        { teamName: "search", userId: bob.id, role: "developer" },
      ]);
      await store.setMembership(alice, "search", bob.id, null);
      assert.equal((await store.listMemberships(bob.id)).length, 1);
      assert.equal(await store.findUserBySubject("test:nobody"), undefined);
    });

    test("API tokens are found by hash, listed without the hash, revoked once", async () => {
      const carol = await store.ensureUser(alice, { subject: "test:carol", displayName: "Carol" });
      const token = await store.createApiToken(alice, {
        userId: carol.id,
        name: "ci",
        secretHash: hex("c"),
        expiresAt: "2030-01-01T00:00:00.000Z",
      });
      assert.deepEqual(await store.findApiTokenByHash(hex("c")), token);
      assert.equal(await store.findApiTokenByHash(hex("d")), undefined);
      const listed = await store.listApiTokens(carol.id, { limit: 10 });
      assert.equal(listed.items.length, 1);
      assert.ok(!JSON.stringify(listed).includes(hex("c")), "the hash never leaves the store");
      const revoked = await store.revokeApiToken(alice, token.id);
      assert.ok(revoked.revokedAt);
      assert.equal((await store.findApiTokenByHash(hex("c")))?.revokedAt, revoked.revokedAt);
      await assert.rejects(store.revokeApiToken(alice, token.id), rejectsWith(ErrorCode.Conflict));
      const fixed = { userId: carol.id, name: "once", expiresAt: null, id: `tok_${"f".repeat(28)}` };
      await store.createApiToken(alice, { ...fixed, secretHash: hex("e") });
      await assert.rejects(
        store.createApiToken(alice, { ...fixed, secretHash: hex("f") }),
        rejectsWith(ErrorCode.Conflict),
        "a fixed id is created at most once",
      );
    });

    test("a token minted with a token dies with it, through any number of mints", async () => {
      const dave = await store.ensureUser(alice, { subject: "test:dave", displayName: "Dave" });
      const mint = (name: string, hash: string, mintedBy?: string) =>
        store.createApiToken(alice, {
          userId: dave.id,
          name,
          secretHash: hex(hash),
          expiresAt: null,
          ...(mintedBy === undefined ? {} : { mintedBy }),
        });
      const root = await mint("laptop", "1");
      const child = await mint("ci", "2", root.id);
      const grandchild = await mint("job", "3", child.id);
      const sibling = await mint("other", "4");
      assert.equal(grandchild.mintedBy, child.id);
      assert.equal(await store.revokedAncestor(grandchild.id), undefined);
      await store.revokeApiToken(alice, root.id);
      // The nearest revoked one: the child went with the root.
      assert.equal((await store.revokedAncestor(grandchild.id))?.id, child.id);
      assert.equal((await store.revokedAncestor(child.id))?.id, root.id);
      assert.equal(await store.revokedAncestor(sibling.id), undefined);
      // Listed as revoked too, each audited.
      for (const hash of ["2", "3"]) assert.ok((await store.findApiTokenByHash(hex(hash)))?.revokedAt);
      assert.equal((await store.findApiTokenByHash(hex("4")))?.revokedAt, null);
      const audited = (await store.listAudit({}, { limit: 20 })).items.filter(
        (e) => e.action === "token.revoke",
      );
      for (const id of [root.id, child.id, grandchild.id]) {
        assert.ok(
          audited.some((e) => e.subject === `token/${id}`),
          `revocation of ${id} audited`,
        );
      }
      // A token minted while its minter was being revoked is caught when it is used.
      const late = await mint("late", "5", root.id);
      assert.equal(late.revokedAt, null);
      assert.equal((await store.revokedAncestor(late.id))?.id, root.id);
      const later = await mint("later", "6", late.id);
      assert.equal((await store.revokedAncestor(later.id))?.id, root.id, "found two generations up");
    });

    test("apps: unique names, team filter, pages that cover every app once", async () => {
      for (const name of ["g", "a", "e", "c", "b", "f", "d"]) {
        await store.createApp(alice, {
          name: `app-${name}`,
          teamName: name < "e" ? "payments" : "search",
          description: "",
        });
      }
      await assert.rejects(
        store.createApp(alice, { name: "app-a", teamName: "search", description: "" }),
        rejectsWith(ErrorCode.Conflict),
      );
      await assert.rejects(
        store.createApp(alice, { name: "app-x", teamName: "nope", description: "" }),
        rejectsWith(ErrorCode.NotFound),
      );
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listApps({}, { limit: 3, cursor });
        assert.ok(page.items.length <= 3);
        seen.push(...page.items.map((a) => a.name));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.deepEqual(seen, ["app-a", "app-b", "app-c", "app-d", "app-e", "app-f", "app-g"]);
      const search = await store.listApps({ teams: ["search"] }, { limit: 50 });
      assert.deepEqual(
        search.items.map((a) => a.name),
        ["app-e", "app-f", "app-g"],
      );
      assert.deepEqual((await store.listApps({ teams: [] }, { limit: 50 })).items, []);
    });

    test("an app update names the version it read; a stale version conflicts", async () => {
      const app = await store.getApp("app-a");
      const updated = await store.updateApp(alice, "app-a", {
        expectedVersion: app.version,
        description: "one",
      });
      assert.equal(updated.version, app.version + 1);
      assert.equal(updated.description, "one");
      await assert.rejects(
        store.updateApp(alice, "app-a", { expectedVersion: app.version, description: "lost" }),
        rejectsWith(ErrorCode.Conflict),
      );
      assert.equal((await store.getApp("app-a")).description, "one");
      await assert.rejects(
        store.updateApp(alice, "nope", { expectedVersion: 1, description: "" }),
        rejectsWith(ErrorCode.NotFound),
      );
    });

    test("releases are immutable and unique per app, commit and digest", async () => {
      const input = {
        appName: "app-b",
        commitSha: "1234567",
        imageDigest: `sha256:${hex("a")}`,
        specHash: hex("1"),
        secretsHash: hex("2"),
        commitTime: "2026-01-01T10:00:00.000Z",
      };
      const made = await store.createRelease(alice, input);
      assert.equal(made.created, true);
      assert.equal(made.release.createdBy, "test:alice");
      const again = await store.createRelease(alice, input);
      assert.deepEqual(again, { release: made.release, created: false });
      await assert.rejects(
        store.createRelease(alice, { ...input, specHash: hex("9") }),
        rejectsWith(ErrorCode.Conflict),
      );
      const second = await store.createRelease(alice, { ...input, commitSha: "89abcde" });
      const page = await store.listReleases("app-b", { limit: 1 });
      assert.deepEqual(
        page.items.map((r) => r.id),
        [second.release.id],
        "newest first",
      );
      const rest = await store.listReleases("app-b", { limit: 5, cursor: page.nextCursor ?? "" });
      assert.deepEqual(
        rest.items.map((r) => r.id),
        [made.release.id],
      );
      await assert.rejects(store.listReleases("nope", { limit: 5 }), rejectsWith(ErrorCode.NotFound));
      await assert.rejects(store.getRelease("rel_nope"), rejectsWith(ErrorCode.NotFound));
    });

    test("a release's snapshot is written with it and read back byte for byte; a failed write leaves no release", async () => {
      const spec = new TextEncoder().encode("name: app-b\n");
      const binary = Uint8Array.from([0, 255, 10, 13, 0x80, 0x7f]);
      const input = {
        appName: "app-b",
        commitSha: "c".repeat(40),
        imageDigest: `sha256:${hex("b")}`,
        specHash: hex("3"),
        secretsHash: hex("4"),
        commitTime: "2026-01-02T10:00:00.000Z",
        repository: "https://git.example.com/shop.git",
        path: "apps/b",
        commitAuthor: "Ada <ada@example.test>",
        commitMessage: "b: café\n\nbody",
        committedAt: "2026-01-02T10:05:00.000Z",
        files: [
          { path: "slipway.yaml", content: spec },
          { path: "secrets/x.enc", content: binary },
        ],
      };
      const { release } = await store.createRelease(alice, input);
      assert.equal(release.repository, "https://git.example.com/shop.git");
      assert.equal(release.path, "apps/b");
      assert.equal(release.commitMessage, "b: café\n\nbody");
      assert.deepEqual(await store.getRelease(release.id), release);
      assert.deepEqual(
        await store.findRelease("app-b", { commitSha: input.commitSha, imageDigest: input.imageDigest }),
        release,
      );
      const snapshot = await store.getReleaseSnapshot(release.id);
      assert.deepEqual(
        snapshot.files.map((f) => [f.path, Buffer.from(f.content).toString("hex")]),
        [
          ["secrets/x.enc", "00ff0a0d807f"],
          ["slipway.yaml", Buffer.from(spec).toString("hex")],
        ],
      );
      // Another release with the same contents shares them.
      const other = await store.createRelease(alice, { ...input, imageDigest: `sha256:${hex("d")}` });
      assert.deepEqual(
        (await store.getReleaseSnapshot(other.release.id)).files.map((f) => f.sha256),
        snapshot.files.map((f) => f.sha256),
      );
      // One transaction: a snapshot that cannot be written leaves no release behind.
      const broken = {
        ...input,
        imageDigest: `sha256:${hex("e")}`,
        files: [input.files[0]!, input.files[0]!],
      };
      await assert.rejects(store.createRelease(alice, broken));
      assert.equal(
        await store.findRelease("app-b", { commitSha: input.commitSha, imageDigest: broken.imageDigest }),
        undefined,
      );
      // A release recorded without its files has no snapshot to deploy from.
      const { files: _files, ...withoutFiles } = input;
      const bare = await store.createRelease(alice, { ...withoutFiles, imageDigest: `sha256:${hex("f")}` });
      assert.equal(bare.release.repository, "https://git.example.com/shop.git");
      await assert.rejects(store.getReleaseSnapshot(bare.release.id), rejectsWith(ErrorCode.NotFound));
      await assert.rejects(store.getReleaseSnapshot("rel_nope"), rejectsWith(ErrorCode.NotFound));
    });

    test("deployments: sequence per app and target, supersede, status history with timestamps", async () => {
      const release = (await store.listReleases("app-b", { limit: 1 })).items[0]!;
      const first = await store.startDeployment(alice, { releaseId: release.id, targetName: "develop" });
      assert.equal(first.sequence, 1);
      assert.equal(first.status, "pending");
      await store.recordDeploymentStatus(alice, {
        deploymentId: first.id,
        status: "progressing",
        message: "rolling",
      });
      const available = await store.recordDeploymentStatus(alice, {
        deploymentId: first.id,
        status: "available",
        message: "3/3 ready",
      });
      assert.ok(available.availableAt);
      await assert.rejects(
        store.recordDeploymentStatus(alice, { deploymentId: first.id, status: "pending", message: "" }),
        rejectsWith(ErrorCode.Conflict),
      );
      const other = await store.startDeployment(alice, { releaseId: release.id, targetName: "stable" });
      assert.equal(other.sequence, 1, "sequences count per target");
      const second = await store.startDeployment(alice, { releaseId: release.id, targetName: "develop" });
      assert.equal(second.sequence, 2);
      assert.equal((await store.getDeployment(first.id)).status, "available", "it runs until replaced");
      const third = await store.startDeployment(alice, { releaseId: release.id, targetName: "develop" });
      assert.equal((await store.getDeployment(second.id)).status, "superseded", "obsolete before it started");
      await store.recordDeploymentStatus(alice, { deploymentId: third.id, status: "available", message: "" });
      assert.equal((await store.getDeployment(first.id)).status, "superseded", "replaced on the target");
      assert.deepEqual(
        (await store.deploymentEvents(first.id)).map((e) => e.status),
        ["pending", "progressing", "available", "superseded"],
      );
      const develop = await store.listDeployments({ appName: "app-b", targetName: "develop" }, { limit: 10 });
      assert.deepEqual(
        develop.items.map((d) => d.id),
        [third.id, second.id, first.id],
      );
      assert.equal((await store.listDeployments({ appName: "app-b" }, { limit: 10 })).items.length, 4);
      await assert.rejects(
        store.startDeployment(alice, { releaseId: release.id, targetName: "nope" }),
        rejectsWith(ErrorCode.NotFound),
      );
    });

    test("approvals are recorded once per approver, release and target", async () => {
      const release = (await store.listReleases("app-b", { limit: 1 })).items[0]!;
      await store.recordApproval(reviewer, { releaseId: release.id, targetName: "stable" });
      await assert.rejects(
        store.recordApproval(reviewer, { releaseId: release.id, targetName: "stable" }),
        rejectsWith(ErrorCode.Conflict),
      );
      assert.deepEqual(
        (await store.listApprovals(release.id)).map((a) => [a.targetName, a.approvedBy]),
        [["stable", "test:bob"]],
      );
    });

    test("nobody approves their own release or deployment", async () => {
      const release = (await store.listReleases("app-b", { limit: 1 })).items[0]!;
      // Alice recorded the release.
      await assert.rejects(
        store.recordApproval(alice, { releaseId: release.id, targetName: "develop" }),
        (error: unknown) =>
          rejectsWith(ErrorCode.Forbidden)(error) &&
          /recorded release .* cannot approve it/.test(String(error)),
      );
      // Carol deployed it to develop: she may approve it elsewhere, not there.
      const carol: Actor = { userId: "u-carol", subject: "test:carol" };
      await store.startDeployment(carol, { releaseId: release.id, targetName: "develop" });
      await assert.rejects(
        store.recordApproval(carol, { releaseId: release.id, targetName: "develop" }),
        (error: unknown) =>
          rejectsWith(ErrorCode.Forbidden)(error) && /started deployment .* to develop/.test(String(error)),
      );
      await store.recordApproval(carol, { releaseId: release.id, targetName: "stable" });
      assert.deepEqual((await store.listApprovals(release.id)).map((a) => a.approvedBy).sort(), [
        "test:bob",
        "test:carol",
      ]);
    });

    test("every change above left an audit event with hashes, and audit rows cannot be changed", async () => {
      const all = [];
      let cursor: string | undefined;
      do {
        const page = await store.listAudit({}, { limit: 20, cursor });
        all.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      const actions = new Set(all.map((e) => e.action));
      for (const action of [
        "team.create",
        "user.create",
        "membership.set",
        "membership.remove",
        "token.create",
        "token.revoke",
        "app.create",
        "app.update",
        "release.create",
        "deployment.start",
        "deployment.status",
        "approval.create",
        "target.create",
      ]) {
        assert.ok(actions.has(action), `audit has ${action}`);
      }
      const update = all.find((e) => e.action === "app.update")!;
      assert.ok(update.beforeHash && update.afterHash && update.beforeHash !== update.afterHash);
      assert.equal(update.teamName, "payments");
      const payments = await store.listAudit({ teams: ["payments"] }, { limit: 500 });
      assert.ok(payments.items.every((e) => e.teamName === "payments"));
      assert.ok(payments.items.length > 0);
      await assert.rejects(rawExec(database, "update audit_events set actor = 'mallory'"), /append-only/);
      await assert.rejects(rawExec(database, "delete from audit_events"), /append-only/);
      // PostgreSQL's TRUNCATE fires no row trigger; SQLite has none (its DELETE above covers it).
      if (kind === "postgres") {
        await assert.rejects(rawExec(database, "truncate audit_events"), /append-only/);
      }
      assert.ok((await store.listAudit({}, { limit: 1 })).items.length > 0, "the audit log is still there");
    });

    test("two writers in two processes on the same app and target: no lost update, no duplicate", async () => {
      await store.createTeam(alice, race.team);
      await store.createApp(alice, { name: race.app, teamName: race.team, description: "0" });
      await store.createTarget(alice, { name: race.target, kind: "channel" });
      const rounds = 25;
      const child = startWriterProcess(database, rounds);
      const [mine, theirs] = await Promise.all([
        child.ready.then(() => raceWorkload(store, "parent", rounds)),
        child.result,
      ]);
      assert.deepEqual(mine.releases, theirs.releases, "both writers got the same release for each commit");
      const deployments = await store.listDeployments(
        { appName: race.app, targetName: race.target },
        { limit: 500 },
      );
      assert.equal(deployments.items.length, rounds * 2);
      const sequences = deployments.items.map((d) => d.sequence).sort((a, b) => a - b);
      assert.deepEqual(
        sequences,
        Array.from({ length: rounds * 2 }, (_, i) => i + 1),
        "a gap-free sequence: no two writers took the same number",
      );
      assert.equal(
        deployments.items.filter((d) => d.status !== "superseded").length,
        1,
        "exactly one live deployment",
      );
      assert.equal((await store.listReleases(race.app, { limit: 500 })).items.length, rounds + 1);
      assert.equal(
        (await store.getApp(race.app)).description,
        String(rounds * 2),
        "every increment survived",
      );
    });
  });
}

function startWriterProcess(
  database: TestDatabase,
  rounds: number,
): { ready: Promise<void>; result: Promise<RaceResult> } {
  const child = spawn(
    process.execPath,
    [
      fileURLToPath(new URL("./fixtures/store-writer.ts", import.meta.url)),
      database.kind,
      database.location,
      database.schema ?? "-",
      String(rounds),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout });
  let resolveReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    resolveReady = resolve;
  });
  const result = new Promise<RaceResult>((resolve, reject) => {
    lines.on("line", (line) => {
      if (line === "ready") resolveReady();
      else resolve(JSON.parse(line) as RaceResult);
    });
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`writer process exited with ${code}`));
    });
  });
  return { ready, result };
}
