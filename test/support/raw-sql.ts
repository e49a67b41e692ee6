/** Raw SQL behind the store's back, for tests that prove what the database itself refuses. */
import { DatabaseSync } from "node:sqlite";
import pg from "pg";
import type { TestDatabase } from "./databases.ts";

export async function rawExec(database: TestDatabase, statement: string): Promise<void> {
  if (database.kind === "sqlite") {
    const db = new DatabaseSync(database.location);
    try {
      db.exec(statement);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({
    connectionString: database.location,
    options: `-c search_path=${database.schema}`,
  });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
