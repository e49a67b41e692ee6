/**
 * The HTTP core: a Hono app that speaks only Request/Response. It knows nothing of sockets or
 * databases: the store and the authenticator are handed in, and `main.ts` binds it to a port.
 * Tests drive it in-process with `app.request()`.
 */
import { Hono } from "hono";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import type { GatePorts } from "../delivery/promotion-facts.ts";
import type { ReleaseSources } from "../delivery/release-from-git.ts";
import { defaultPlatform } from "../spec/parse.ts";
import type { Platform } from "../spec/platform-schema.ts";
import type { Store } from "../store/store.ts";
import type { Authenticator } from "./auth/authenticate.ts";
import { authorize, authorizeMetrics, refuseNarrowScope } from "./auth/principal.ts";
import { defaultBodyLimit, readJsonBody } from "./body.ts";
import { errorResponse, invalidInput, type Logger } from "./http-errors.ts";
import { Metrics } from "./metrics.ts";
import { openApiDocument } from "./openapi.ts";
import type { RouteDef } from "./route.ts";
import { appRoutes } from "./routes/apps.ts";
import { deploymentRoutes } from "./routes/deployments.ts";
import { mountEvents } from "./routes/events.ts";
import { freezeRoutes } from "./routes/freeze.ts";
import { historyRoutes } from "./routes/history.ts";
import { promotionRoutes } from "./routes/promotions.ts";
import { releaseRoutes } from "./routes/releases.ts";
import { rollbackRoutes } from "./routes/rollbacks.ts";
import { statusRoutes } from "./routes/status.ts";
import { teamRoutes } from "./routes/teams.ts";
import { mountStatusPage } from "./web/status-page.ts";

export const apiRoutes: readonly RouteDef[] = [
  ...appRoutes,
  ...releaseRoutes,
  ...deploymentRoutes,
  ...historyRoutes,
  ...teamRoutes,
  ...promotionRoutes,
  ...rollbackRoutes,
  ...statusRoutes,
  ...freezeRoutes,
];

export interface ApiDeps {
  readonly store: Store;
  /** Where releases are read from (`POST /apps/:app/releases`); without it, that route refuses. */
  readonly releaseSources?: ReleaseSources | undefined;
  /** The platform in use; without it, the built-in default (its last channel, stable, is production). */
  readonly platform?: (() => Pick<Platform, "channels" | "dora">) | undefined;
  /** The platform's custom rules and the channels' live view, for the promotion gates. */
  readonly gatePorts?: GatePorts | undefined;
  readonly authenticate: Authenticator;
  readonly logger: Logger;
  readonly bodyLimit?: number;
  readonly metrics?: Metrics;
  /**
   * The address users reach the server at. When it is `https://…` (TLS ends at a proxy in front),
   * every response carries Strict-Transport-Security; so does any request that arrived over TLS.
   */
  readonly publicUrl?: string | undefined;
  /**
   * Check read responses against their schemas too (default: yes; tests keep it on). The server
   * turns it off: what a read route returns comes from the store, which already parsed every row
   * with the same record schemas, and the second pass cost as much CPU as the first on a list page.
   * Responses of changes are always checked.
   */
  readonly checkReadResponses?: boolean;
  /** Whether the server runs on an older platform because the file failed to reload (`/readyz`). */
  readonly platformStatus?: () => { readonly stale: boolean };
}

export function createApi(deps: ApiDeps): Hono {
  const app = new Hono();
  const metrics = deps.metrics ?? new Metrics();
  const bodyLimit = deps.bodyLimit ?? defaultBodyLimit;
  const openApi = openApiDocument(apiRoutes);
  const builtIn = defaultPlatform().platform;
  const platform = deps.platform ?? (() => builtIn);
  const checkReads = deps.checkReadResponses ?? true;

  const behindTls = deps.publicUrl?.startsWith("https://") === true;
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    metrics.observe(c.req.routePath, c.req.method, c.res.status, (performance.now() - started) / 1000);
    // Every answer is about one caller's state or carries a secret (a new token): no cache keeps
    // it. And no browser guesses a type other than the one declared.
    c.res.headers.set("cache-control", "no-store");
    c.res.headers.set("x-content-type-options", "nosniff");
    if (behindTls || overTls(c.req.raw)) {
      c.res.headers.set("strict-transport-security", "max-age=31536000; includeSubDomains");
    }
  });
  app.onError((error, _c) => errorResponse(error, deps.logger));
  app.notFound((c) =>
    errorResponse(
      new SlipwayError(ErrorCode.NotFound, `no route ${c.req.method} ${c.req.path}`),
      deps.logger,
    ),
  );

  mountStatusPage(app);
  mountEvents(app, { store: deps.store, authenticate: deps.authenticate, logger: deps.logger });
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    try {
      await deps.store.ping();
    } catch (error) {
      throw new SlipwayError(ErrorCode.Unavailable, "the database does not answer", { cause: error });
    }
    // Still ready on a stale platform (the last good one serves), but an operator can see it here;
    // the log says which file failed and why.
    const stale = deps.platformStatus?.().stale === true;
    return c.json({
      status: "ready",
      ...(deps.platformStatus ? { platform: stale ? "stale" : "current" } : {}),
    });
  });
  // Route names, traffic and memory are an operator's business: platform administrators, or a
  // scraper's token of scope metrics.
  app.get("/metrics", async (c) => {
    authorizeMetrics(await deps.authenticate.authenticate(c.req.header("authorization")));
    return c.text(metrics.render(), 200, { "content-type": "text/plain; version=0.0.4" });
  });
  app.get("/api/v1/openapi.json", async (c) => {
    const principal = await deps.authenticate.authenticate(c.req.header("authorization"));
    authorize(principal, { scope: "authenticated" }, undefined);
    return c.json(openApi);
  });

  for (const def of apiRoutes) {
    app.on(def.method.toUpperCase(), def.path, async (c) => {
      // Authentication first: an anonymous caller learns nothing, not even what is invalid.
      const principal = await deps.authenticate.authenticate(c.req.header("authorization"));
      refuseNarrowScope(principal);
      const params = parse(def.params, c.req.param(), "path");
      const query = parse(def.query, c.req.query(), "query");
      const body =
        def.body === undefined
          ? undefined
          : parse(def.body, await readJsonBody(c.req.raw, bodyLimit), "body");
      const input = {
        params,
        query,
        body,
        store: deps.store,
        releaseSources: deps.releaseSources,
        platform,
        gatePorts: deps.gatePorts,
      };
      const team = def.team === undefined ? undefined : await def.team(input);
      // The concealing error is made only for an outsider: an error's stack costs every request.
      const concealed = def.concealed;
      authorize(principal, def.access, team, concealed && (() => concealed(params, query)));
      const result = await def.handle({ ...input, principal });
      // A change may have revoked a token or moved a role: cached principals must not outlive it.
      if (def.method !== "get") deps.authenticate.invalidate();
      const checked = def.method === "get" && !checkReads ? result : def.response.parse(result);
      return c.body(serialize(checked), def.statusOf?.(result) ?? def.status ?? 200, jsonHeaders);
    });
  }
  return app;
}

const jsonHeaders = { "content-type": "application/json" };

/** TLS to this process, or to the proxy in front of it as it says (X-Forwarded-Proto). */
function overTls(request: Request): boolean {
  if (request.url.startsWith("https:")) return true;
  const forwarded = request.headers.get("x-forwarded-proto");
  return forwarded?.split(",")[0]?.trim().toLowerCase() === "https";
}

/**
 * The read cache hands the same frozen result to every request until the state changes, so its
 * JSON is written and encoded once and the bytes reused: a list page is 10 KB of JSON.stringify
 * otherwise, and as a string it is measured and encoded again for every response (under 100
 * connections, most of the server's time and garbage).
 */
const serialized = new WeakMap<object, Uint8Array>();
const utf8 = new TextEncoder();
function serialize(result: unknown): string | Uint8Array<ArrayBuffer> {
  if (result === null || typeof result !== "object" || !Object.isFrozen(result)) {
    return JSON.stringify(result);
  }
  let body = serialized.get(result);
  if (body === undefined) {
    body = utf8.encode(JSON.stringify(result));
    serialized.set(result, body);
  }
  return body as Uint8Array<ArrayBuffer>;
}

function parse(schema: RouteDef["params"], value: unknown, part: "path" | "query" | "body"): unknown {
  if (schema === undefined) {
    // A route without a query schema still refuses parameters it would silently ignore.
    if (part === "query" && value !== null && typeof value === "object" && Object.keys(value).length > 0) {
      throw new SlipwayError(
        ErrorCode.Input,
        `this route takes no query parameters: remove ${Object.keys(value).join(", ")}`,
      );
    }
    return undefined;
  }
  const result = schema.safeParse(value);
  if (!result.success) throw invalidInput(part, result.error);
  return result.data;
}
