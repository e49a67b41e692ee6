/**
 * An in-process API over a fresh store, with one user per team role (in team "payments") plus a
 * platform admin, an outsider (admin of another team) and their tokens: what the HTTP tests need.
 */
import type { Hono } from "hono";
import type { ReleaseSources } from "../../src/delivery/release-from-git.ts";
import { createApi } from "../../src/server/app.ts";
import { issueToken } from "../../src/server/auth/api-tokens.ts";
import { authenticator } from "../../src/server/auth/authenticate.ts";
import type { OidcVerifier } from "../../src/server/auth/oidc.ts";
import type { LoadedPlatform } from "../../src/spec/parse.ts";
import { CachedStore } from "../../src/store/cached-store.ts";
import type { Role } from "../../src/store/records.ts";
import { type Store, systemActor } from "../../src/store/store.ts";
import { createTestDatabase, type DatabaseKind, type TestDatabase } from "./databases.ts";
import { testReleaseSources } from "./release-repos.ts";

export const roles: readonly Role[] = ["viewer", "developer", "releaser", "admin"];
export type Caller = Role | "platform-admin" | "outsider";

export interface Harness {
  readonly app: Hono;
  /** The API's store, read cache included, as the server has it. */
  readonly store: Store;
  /** Where the store lives, for reading it behind the store's back. */
  readonly database: TestDatabase;
  readonly tokens: Readonly<Record<Caller, string>>;
  readonly logs: string[];
  /** Sends JSON (or a raw string) with the caller's token. */
  call(
    method: string,
    path: string,
    options?: {
      as?: Caller;
      body?: unknown;
      raw?: string;
      token?: string;
      /** Sent instead of application/json. */
      contentType?: string;
      headers?: Record<string, string>;
    },
  ): Promise<Response>;
  dispose(): Promise<void>;
}

export async function createHarness(
  options: {
    kind?: DatabaseKind;
    oidc?: OidcVerifier;
    publicUrl?: string;
    /** Default: local repositories allowed, the built-in platform. */
    releaseSources?: ReleaseSources;
    /** The server's platform (channels, their gates); default: the built-in one. */
    platform?: LoadedPlatform;
  } = {},
): Promise<Harness> {
  const database: TestDatabase = await createTestDatabase(options.kind ?? "sqlite");
  const store = new CachedStore(await database.open());
  await store.createTeam(systemActor, "payments");
  await store.createTeam(systemActor, "search");
  const tokens = {} as Record<Caller, string>;
  for (const caller of [...roles, "platform-admin", "outsider"] as const) {
    const user = await store.ensureUser(systemActor, {
      subject: `test:${caller}`,
      displayName: caller,
      isAdmin: caller === "platform-admin",
    });
    if (caller === "outsider") await store.setMembership(systemActor, "search", user.id, "admin");
    else if (caller !== "platform-admin") await store.setMembership(systemActor, "payments", user.id, caller);
    tokens[caller] = (
      await issueToken(store, systemActor, { userId: user.id, name: "test", expiresAt: null })
    ).secret;
  }
  const logs: string[] = [];
  const app = createApi({
    store,
    authenticate: authenticator({ store, oidc: options.oidc }),
    logger: { error: (m) => logs.push(m), info: (m) => logs.push(m) },
    publicUrl: options.publicUrl,
    releaseSources:
      options.releaseSources ??
      (options.platform === undefined
        ? testReleaseSources()
        : { ...testReleaseSources(), platform: async () => options.platform! }),
    ...(options.platform === undefined ? {} : { platform: () => options.platform!.platform }),
  });
  return {
    app,
    store,
    database,
    tokens,
    logs,
    call: (method, path, o = {}) => {
      const headers: Record<string, string> = { ...o.headers };
      const token = o.token ?? (o.as ? tokens[o.as] : undefined);
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const body = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
      if (body !== undefined) headers["content-type"] = o.contentType ?? "application/json";
      return Promise.resolve(app.request(path, { method, headers, ...(body === undefined ? {} : { body }) }));
    },
    dispose: async () => {
      await store.close();
      await database.dispose();
    },
  };
}
