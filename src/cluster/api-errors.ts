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
