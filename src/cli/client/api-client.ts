/**
 * A small typed client for the Slipway API. Responses are validated with the server's own
 * schemas, so a CLI talking to a different server version fails with a clear message instead of
 * printing half a table. Deliberately hand-written per call: inferring a client from every route
 * type slows the editor as routes grow (a pitfall the Hono docs describe).
 */
import type { z } from "zod";
import { doraResponseSchema, historyPageSchema } from "../../api/history.ts";
import {
  appStatusSchema,
  lineStateSchema,
  type promotionBody,
  promotionResultSchema,
  type rejectionBody,
  type rollbackBody,
  rollbackResultSchema,
} from "../../api/promotion.ts";
import type { createReleaseBody } from "../../api/requests.ts";
import {
  approvalSchema,
  appSchema,
  deploymentSchema,
  errorBodySchema,
  pageOf,
  releaseCreatedSchema,
  releaseSchema,
  whoamiSchema,
} from "../../api/resources.ts";
import { ErrorCode, isSlipwayError, SlipwayError } from "../../core/errors.ts";
import { printable } from "../table.ts";

export interface PageOptions {
  readonly limit?: number | undefined;
  readonly cursor?: string | undefined;
}

export class ApiClient {
  readonly #server: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;

  constructor(options: { server: string; token: string; fetch?: typeof fetch }) {
    this.#server = options.server.replace(/\/+$/, "");
    this.#token = options.token;
    this.#fetch = options.fetch ?? fetch;
  }

  whoami() {
    return this.#get("/api/v1/whoami", {}, whoamiSchema);
  }
  listApps(page: PageOptions = {}) {
    return this.#get("/api/v1/apps", { ...page }, pageOf(appSchema));
  }
  listReleases(app: string, page: PageOptions = {}) {
    return this.#get(`/api/v1/apps/${encodeURIComponent(app)}/releases`, { ...page }, pageOf(releaseSchema));
  }
  /** `created` is false when the same commit and image already made a release (it is returned). */
  createRelease(app: string, body: z.input<typeof createReleaseBody>) {
    return this.#send("POST", `/api/v1/apps/${encodeURIComponent(app)}/releases`, body, releaseCreatedSchema);
  }
  listDeployments(app: string, filter: { target?: string | undefined }, page: PageOptions = {}) {
    return this.#get(
      `/api/v1/apps/${encodeURIComponent(app)}/deployments`,
      { ...page, target: filter.target },
      pageOf(deploymentSchema),
    );
  }
  history(app: string, page: PageOptions = {}) {
    return this.#get(`/api/v1/apps/${encodeURIComponent(app)}/history`, { ...page }, historyPageSchema);
  }
  dora(query: {
    team?: string | undefined;
    app?: string | undefined;
    window: string;
    until?: string | undefined;
  }) {
    return this.#get("/api/v1/dora", { ...query }, doraResponseSchema);
  }
  /** Promotion, rollback, the channel matrix and the line stop (`src/api/promotion.ts`). */
  promote(app: string, body: z.input<typeof promotionBody>) {
    return this.#send(
      "POST",
      `/api/v1/apps/${encodeURIComponent(app)}/promotions`,
      body,
      promotionResultSchema,
    );
  }
  rollback(app: string, body: z.input<typeof rollbackBody>) {
    return this.#send(
      "POST",
      `/api/v1/apps/${encodeURIComponent(app)}/rollbacks`,
      body,
      rollbackResultSchema,
    );
  }
  status(app: string) {
    return this.#get(`/api/v1/apps/${encodeURIComponent(app)}/status`, {}, appStatusSchema);
  }
  approve(release: string, target: string) {
    return this.#send(
      "POST",
      `/api/v1/releases/${encodeURIComponent(release)}/approvals`,
      { target },
      approvalSchema,
    );
  }
  reject(release: string, body: z.input<typeof rejectionBody>) {
    return this.#send(
      "POST",
      `/api/v1/releases/${encodeURIComponent(release)}/rejections`,
      body,
      approvalSchema,
    );
  }
  line() {
    return this.#get("/api/v1/freeze", {}, lineStateSchema);
  }
  stopLine(reason: string) {
    return this.#send("PUT", "/api/v1/freeze", { reason }, lineStateSchema);
  }
  resumeLine() {
    return this.#send("DELETE", "/api/v1/freeze", undefined, lineStateSchema);
  }

  #get<T>(
    path: string,
    query: { readonly [key: string]: string | number | undefined },
    schema: z.ZodType<T>,
  ): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    return this.#send("GET", `${path}${params.size > 0 ? `?${params}` : ""}`, undefined, schema);
  }

  async #send<T>(
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: string,
    request: unknown,
    schema: z.ZodType<T>,
  ): Promise<T> {
    const url = `${this.#server}${path}`;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          accept: "application/json",
          ...(request === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(request === undefined ? {} : { body: JSON.stringify(request) }),
      });
    } catch (error) {
      throw unreachable(this.#server, error);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      const https = this.#server.replace(/^http:/, "https:");
      const hint =
        this.#server.startsWith("http:") &&
        /HTTP request to an HTTPS server|plain HTTP request was sent to HTTPS/i.test(text)
          ? `: the server speaks HTTPS, use ${https}`
          : "";
      throw new SlipwayError(
        ErrorCode.Unavailable,
        `${url} answered ${response.status} without JSON${hint}`,
        {
          cause: error,
        },
      );
    }
    if (!response.ok) throw errorFrom(body, response.status);
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new SlipwayError(
        ErrorCode.Internal,
        `unexpected answer from ${url}: is the server the same version?`,
        {
          details: { issues: parsed.error.issues },
        },
      );
    }
    return parsed.data;
  }
}

/** The server's error, re-raised with its own code so the CLI's exit code matches. */
function errorFrom(body: unknown, status: number): SlipwayError {
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) return new SlipwayError(ErrorCode.Internal, `the server answered ${status}`);
  const candidate = { code: parsed.data.error.code };
  const code = isSlipwayError(candidate) ? (candidate.code as ErrorCode) : ErrorCode.Internal;
  // The message is the server's text: printed as data, never as terminal control codes.
  return new SlipwayError(code, printable(parsed.data.error.message), { details: parsed.data.error.details });
}

/**
 * Why a request got no answer, in the user's terms. A TLS request to a plain HTTP server fails in
 * the TLS handshake ("wrong version number"), and a plain request to a TLS server is dropped
 * without an answer: both are a wrong scheme in --server, not a stopped server.
 */
export function unreachable(server: string, error: unknown): SlipwayError {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === "string" ? cause.code : "";
  const detail = typeof cause?.message === "string" ? cause.message : String(error);
  const swapped = server.startsWith("https:")
    ? server.replace(/^https:/, "http:")
    : server.replace(/^http:/, "https:");
  let message: string;
  if (
    server.startsWith("https:") &&
    (/^ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG)$/.test(code) ||
      /wrong version number/.test(detail))
  ) {
    message = `the server at ${server} answered plain HTTP to a TLS request: use ${swapped}`;
  } else if (server.startsWith("http:") && (code === "UND_ERR_SOCKET" || code === "ECONNRESET")) {
    message = `the server at ${server} closed the connection without an answer; if it serves HTTPS, use ${swapped}`;
  } else if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code)) {
    message = `the TLS certificate of ${server} is not trusted (${code}); give its CA to Node with NODE_EXTRA_CA_CERTS=<file>`;
  } else if (code === "ECONNREFUSED") {
    message = `nothing listens at ${server}: is \`slipway serve\` running there?`;
  } else {
    message = `cannot reach the Slipway server at ${server} (${code || detail})`;
  }
  return new SlipwayError(ErrorCode.Unavailable, message, { cause: error });
}
