/**
 * Migration 10: which token minted a token. A token minted with another one is worth no more than
 * its minter: revoking the minter must end every token made with it (and with those), or a leaked
 * token could mint a long-lived child just before it is revoked. Null for tokens minted with an
 * OpenID sign-in, the bootstrap token, and tokens made before this migration.
 */
import type { Transaction } from "kysely";
import type { Migration } from "./migrations.ts";
import type { Tables } from "./tables.ts";

export const tokenLineageMigration: Migration = {
  version: 10,
  name: "the token each API token was minted with",
  async up(db: Transaction<Tables>) {
    await db.schema.alterTable("api_tokens").addColumn("minted_by", "text").execute();
  },
};
