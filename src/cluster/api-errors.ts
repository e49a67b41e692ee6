/**
 * Kubernetes API failures as SlipwayErrors a person can act on. The API server answers with a
 * `Status` object; its `reason`, `details.causes` and our knowledge of the request (verb,
 * resource, namespace) make the message. Pure.
 */
import { ErrorCode, SlipwayError } from "../core/errors.ts";

export interface ApiStatus {
  readonly kind?: string;
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: {
    readonly name?: string;
    readonly group?: string;
    readonly kind?: string;
    readonly causes?: readonly {
      readonly reason?: string;
      readonly message?: string;
      readonly field?: string;
    }[];
  };
}

/** What was being done, for the message: `patch deployments.apps "web" in namespace "shop"`. */
export interface RequestContext {
  readonly verb: "get" | "list" | "patch" | "delete" | "create";
  /** plural resource with group, e.g. `deployments.apps`, `configmaps`. */
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
  /** `Kind/namespace/name` when the request is about one object. */
  readonly ref?: string;
}

export function parseStatus(body: string): ApiStatus {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === "object" && parsed !== null ? (parsed as ApiStatus) : {};
  } catch (e) {
    if (e instanceof SyntaxError) return { message: body.slice(0, 500) };
    throw e;
  }
}

function where(ctx: RequestContext): string {
  const what = ctx.name ? `${ctx.resource} "${ctx.name}"` : ctx.resource;
  return ctx.namespace ? `${what} in namespace "${ctx.namespace}"` : `${what} (cluster-wide)`;
}

/** `conflict with "kubectl-edit" using apps/v1` → `kubectl-edit` */
function managerOf(message: string | undefined): string {
  return /conflict with "([^"]+)"/.exec(message ?? "")?.[1] ?? "another field manager";
}

export function apiError(status: number, body: string, ctx: RequestContext): SlipwayError {
  const s = parseStatus(body);
  const serverSays = s.message ?? `HTTP ${status}`;
  const details = { httpStatus: status, reason: s.reason, ...ctx, serverMessage: serverSays };
  switch (status) {
    case 401:
      return new SlipwayError(
        ErrorCode.Unauthenticated,
        `the cluster rejected Slipway's credentials (${serverSays}); refresh the kubeconfig's token or certificate`,
        { details },
      );
    case 403:
      return new SlipwayError(
        ErrorCode.Forbidden,
        `Slipway may not ${ctx.verb} ${where(ctx)}: ${serverSays}. Grant the verb "${ctx.verb}" on ` +
          `"${ctx.resource}"${ctx.namespace ? ` in namespace "${ctx.namespace}"` : ""} to Slipway's identity (a Role and RoleBinding).`,
        { details },
      );
    case 404:
      return new SlipwayError(ErrorCode.NotFound, `${where(ctx)} was not found: ${serverSays}`, { details });
    case 409: {
      const causes = s.details?.causes ?? [];
      const owners = new Map<string, string[]>();
      for (const c of causes) {
        if (c.reason !== "FieldManagerConflict") continue;
        const m = managerOf(c.message);
        owners.set(m, [...(owners.get(m) ?? []), c.field ?? "?"]);
      }
      if (owners.size === 0) {
        return new SlipwayError(
          ErrorCode.Conflict,
          `${ctx.ref ?? where(ctx)} changed while Slipway wrote it: ${serverSays}; retry the deploy`,
          {
            details,
          },
        );
      }
      const who = [...owners].map(([m, fields]) => `"${m}" owns ${fields.join(", ")}`).join("; ");
      return new SlipwayError(
        ErrorCode.Conflict,
        `${ctx.ref ?? where(ctx)} is also managed by another field manager: ${who}. Slipway did not take ` +
          "those fields over; remove them from the other tool, or deploy with --force-conflicts to let Slipway own them.",
        { details: { ...details, conflicts: Object.fromEntries(owners) } },
      );
    }
    case 422: {
      const causes = (s.details?.causes ?? []).map(
        (c) => `${c.field ?? "?"}: ${c.message ?? c.reason ?? "invalid"}`,
      );
      return new SlipwayError(
        ErrorCode.ClusterRejected,
        `the cluster rejected ${ctx.ref ?? where(ctx)} as invalid${causes.length ? `: ${causes.join("; ")}` : `: ${serverSays}`}. ` +
          "Fix the field in slipway.yaml (or report a renderer bug if the field is not yours).",
        { details: { ...details, causes } },
      );
    }
    default:
      return new SlipwayError(
        status === 429 || status >= 500 ? ErrorCode.Unavailable : ErrorCode.Cluster,
        `${ctx.verb} ${where(ctx)} failed with HTTP ${status}: ${serverSays}`,
        { details },
      );
  }
}

/**
 * How a request that got no HTTP answer failed, from the socket's error code. `retry`: worth
 * another try (the server may be restarting or overloaded); `tls` and `dns` never are — the same
 * certificate or name fails the same way every time.
 */
export interface NetworkFailure {
  /** `starting`: the connection works again, but the server says it is not ready yet. */
  readonly kind: "refused" | "reset" | "timeout" | "tls" | "dns" | "unreachable" | "starting";
  readonly code: string;
  /** What the API server did, for "API server <said> 3 times": `refused the connection`. */
  readonly said: string;
}

const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_TLS_|ERR_SSL_|EPROTO$|HOSTNAME_MISMATCH)/;

export function networkFailure(error: unknown): NetworkFailure | undefined {
  const code = String((error as NodeJS.ErrnoException | null)?.code ?? "");
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case "ECONNREFUSED":
      return { kind: "refused", code, said: "refused the connection" };
    case "ECONNRESET":
    case "EPIPE":
    case "ECONNABORTED":
      return { kind: "reset", code, said: `dropped the connection (${code})` };
    case "ETIMEDOUT":
      return {
        kind: "timeout",
        code,
        said: message.startsWith("no answer") ? `gave ${message}` : `timed out (${message})`,
      };
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return { kind: "dns", code, said: `has a name that does not resolve (${code})` };
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return { kind: "unreachable", code, said: `is unreachable (${code})` };
    default:
      if (TLS_CODES.test(code) || /certificate|SSL|TLS/i.test(message)) {
        return { kind: "tls", code: code || "TLS", said: `failed the TLS handshake (${code || message})` };
      }
      return undefined;
  }
}

/** A TLS failure: the certificate the server showed is not one the kubeconfig trusts. */
export function tlsError(server: string, failure: NetworkFailure, detail: string): SlipwayError {
  const why =
    failure.code === "ERR_TLS_CERT_ALTNAME_INVALID"
      ? "its certificate is for another name"
      : /EXPIRED|NOT_YET_VALID/.test(failure.code)
        ? "its certificate is expired or not yet valid"
        : "its certificate is not signed by the certificate authority in the kubeconfig";
  return new SlipwayError(
    ErrorCode.Cluster,
    `TLS failure: the API server at ${server} was not trusted, ${why} (${failure.code}: ${detail}). ` +
      "The cluster's certificate changed, or the kubeconfig points at another server: get a current kubeconfig " +
      "(certificate-authority-data) for this cluster. Nothing was sent to it.",
    { details: { server, network: failure.kind, errno: failure.code } },
  );
}

/** A server that could not be reached at all (never answered during this command). */
export function unreachableError(server: string, failure: NetworkFailure, tries: number): SlipwayError {
  const hint =
    failure.kind === "refused"
      ? "nothing listens on that address and port: is the cluster (its API server) running, and is the kubeconfig's server address right?"
      : failure.kind === "dns"
        ? "check the server address in the kubeconfig"
        : "check the network path to it and the kubeconfig's server address";
  return new SlipwayError(
    ErrorCode.Unavailable,
    `cannot connect to the API server at ${server}: it ${failure.said}${tries > 1 ? ` (${tries} tries)` : ""}; ${hint}. Nothing was sent to the cluster.`,
    { details: { server, network: failure.kind, errno: failure.code, tries } },
  );
}

/** `504 Timeout`, `429 TooManyRequests`: an HTTP answer in a few words, for waiting notices. */
export function shortAnswer(status: number, body: string): string {
  const s = parseStatus(body);
  const reason = s.reason ?? (status === 429 ? "TooManyRequests" : undefined);
  return reason ? `${status} ${reason}` : `HTTP ${status}`;
}
