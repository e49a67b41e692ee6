/**
 * A small typed client for the Slipway API. Responses are validated with the server's own
 * schemas, so a CLI talking to a different server version fails with a clear message instead of
 * printing half a table. Deliberately hand-written per call: inferring a client from every route
 * type slows the editor as routes grow (a pitfall the Hono docs describe).
 */
import type { z } from "zod";
import { ErrorCode, isSlipwayError, SlipwayError } from "../../core/errors.ts";
import {
  appSchema,
  deploymentSchema,
  errorBodySchema,
  pageOf,
  releaseSchema,
  whoamiSchema,
} from "../../server/api-schemas.ts";

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
  listDeployments(app: string, filter: { target?: string | undefined }, page: PageOptions = {}) {
    return this.#get(
      `/api/v1/apps/${encodeURIComponent(app)}/deployments`,
      { ...page, target: filter.target },
      pageOf(deploymentSchema),
    );
  }

  async #get<T>(
    path: string,
    query: { readonly [key: string]: string | number | undefined },
    schema: z.ZodType<T>,
  ): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const url = `${this.#server}${path}${params.size > 0 ? `?${params}` : ""}`;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        headers: { authorization: `Bearer ${this.#token}`, accept: "application/json" },
      });
    } catch (error) {
      throw new SlipwayError(
        ErrorCode.Unavailable,
        `cannot reach the Slipway server at ${this.#server}: is \`slipway serve\` running? (${String(error)})`,
        { cause: error },
      );
    }
    const body: unknown = await response.json().catch((error: unknown) => {
      throw new SlipwayError(ErrorCode.Unavailable, `${url} answered ${response.status} without JSON`, {
        cause: error,
      });
    });
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
  return new SlipwayError(code, parsed.data.error.message, { details: parsed.data.error.details });
}
