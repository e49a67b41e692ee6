/**
 * A process killed in the middle of a migration leaves a database that still opens, and the next
 * start finishes the migration: on both databases, with a real SIGKILL.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { migrations } from "../src/store/migrations.ts";
import { createTestDatabase, type DatabaseKind } from "./support/databases.ts";

for (const kind of ["sqlite", "postgres"] as const satisfies DatabaseKind[]) {
  describe(`migrations on ${kind}`, () => {
    test("a crash mid-migration rolls that step back and the next start completes it", async () => {
      const database = await createTestDatabase(kind);
      try {
        const crashed = spawnSync(
          process.execPath,
          [
            fileURLToPath(new URL("./fixtures/crash-migration.ts", import.meta.url)),
            kind,
            database.location,
            database.schema ?? "-",
          ],
          { encoding: "utf8" },
        );
        assert.equal(crashed.signal, "SIGKILL", `the fixture should die mid-migration: ${crashed.stderr}`);

        // Migration 2 creates the releases table; had its DDL survived the crash, running it again
        // would fail with "table already exists".
        const store = await database.open();
        try {
          await store.createTeam({ userId: "t", subject: "test" }, "after-crash");
          await store.createApp(
            { userId: "t", subject: "test" },
            { name: "a", teamName: "after-crash", description: "" },
          );
          const made = await store.createRelease(
            { userId: "t", subject: "test" },
            {
              appName: "a",
              commitSha: "abcdef0",
              imageDigest: `sha256:${"f".repeat(64)}`,
              specHash: "1".repeat(64),
              secretsHash: "2".repeat(64),
              commitTime: null,
            },
          );
          assert.equal(made.created, true);
          assert.equal((await store.listAudit({}, { limit: 10 })).items.length, 3);
        } finally {
          await store.close();
        }
        const reopened = await database.open();
        await reopened.close();
        assert.deepEqual(
          migrations.map((m) => m.version),
          migrations.map((_, i) => i + 1),
          "versions count up from 1 without a gap",
        );
      } finally {
        await database.dispose();
      }
    });
  });
}
