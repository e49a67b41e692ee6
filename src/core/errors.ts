/**
 * Typed errors with stable codes. Every failure a user can meet is a SlipwayError with a code
 * from `ErrorCode`; the CLI maps codes to exit codes and the server maps them to HTTP statuses,
 * each in one place (`exitCodeFor`, `httpStatusFor`). Compare by `code`, never by `instanceof`,
 * so that errors survive duplicate package copies and process boundaries.
 */
export const ErrorCode = {
  Input: "SLIPWAY_E_INPUT",
  SpecInvalid: "SLIPWAY_E_SPEC_INVALID",
  PlatformInvalid: "SLIPWAY_E_PLATFORM_INVALID",
  RenderFailed: "SLIPWAY_E_RENDER",
  PolicyBlocked: "SLIPWAY_E_POLICY_BLOCKED",
  NotFound: "SLIPWAY_E_NOT_FOUND",
  Conflict: "SLIPWAY_E_CONFLICT",
  Unauthenticated: "SLIPWAY_E_UNAUTHENTICATED",
  Forbidden: "SLIPWAY_E_FORBIDDEN",
  TooLarge: "SLIPWAY_E_TOO_LARGE",
  /** A request body in a media type the endpoint does not read (HTTP 415). */
  UnsupportedMediaType: "SLIPWAY_E_UNSUPPORTED_MEDIA_TYPE",
  SecretDecrypt: "SLIPWAY_E_SECRET_DECRYPT",
  SecretIntegrity: "SLIPWAY_E_SECRET_INTEGRITY",
  KeyBackend: "SLIPWAY_E_KEY_BACKEND",
  /** A SOPS file names a master key the operator does not allow (for this team): nothing was contacted. */
  KeyNotAllowed: "SLIPWAY_E_KEY_NOT_ALLOWED",
  Cluster: "SLIPWAY_E_CLUSTER",
  RolloutFailed: "SLIPWAY_E_ROLLOUT_FAILED",
  /** The Kubernetes API refused an object as invalid (HTTP 422); the message lists its causes. */
  ClusterRejected: "SLIPWAY_E_CLUSTER_REJECTED",
  /** The real `git` failed (GitOps target); the message names the command and its stderr. */
  Git: "SLIPWAY_E_GIT",
  /** Plaintext secret values were about to leave memory (e.g. into a GitOps repository). */
  SecretPlaintext: "SLIPWAY_E_SECRET_PLAINTEXT",
  Unavailable: "SLIPWAY_E_UNAVAILABLE",
  /** An operation's deadline passed (e.g. `deploy --apply-timeout`); the message says what was done. */
  Deadline: "SLIPWAY_E_DEADLINE",
  Internal: "SLIPWAY_E_INTERNAL",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One located problem in a user's file: `file:line:column`, the field path, and what to do. */
export interface Problem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Dotted field path, e.g. `environments.stable.replicas`; empty for the document root. */
  readonly path: string;
  readonly message: string;
  readonly hint?: string;
}

export class SlipwayError extends Error {
  readonly code: ErrorCode;
  readonly problems: readonly Problem[];
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { problems?: readonly Problem[]; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SlipwayError";
    this.code = code;
    this.problems = options.problems ?? [];
    this.details = options.details ?? {};
  }
}

export function isSlipwayError(value: unknown): value is SlipwayError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { code?: unknown }).code === "string" &&
    String((value as { code: string }).code).startsWith("SLIPWAY_E_")
  );
}

export function formatProblem(p: Problem): string {
  const where = `${p.file}:${p.line}:${p.column}`;
  const field = p.path === "" ? "" : ` ${p.path}:`;
  return `${where}${field} ${p.message}${p.hint ? ` (${p.hint})` : ""}`;
}

/** CLI exit codes: 0 ok, 1 findings or a failed operation, 2 usage or input error. */
export function exitCodeFor(code: ErrorCode): 1 | 2 {
  switch (code) {
    case ErrorCode.Input:
    case ErrorCode.SpecInvalid:
    case ErrorCode.PlatformInvalid:
    // The renderer is pure: what it refuses is in slipway.yaml or the platform file, as validate says.
    case ErrorCode.RenderFailed:
    case ErrorCode.NotFound:
    case ErrorCode.TooLarge:
    case ErrorCode.UnsupportedMediaType:
    case ErrorCode.KeyNotAllowed:
      return 2;
    default:
      return 1;
  }
}

export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.Input:
    case ErrorCode.SpecInvalid:
    case ErrorCode.PlatformInvalid:
      return 400;
    case ErrorCode.Unauthenticated:
      return 401;
    case ErrorCode.Forbidden:
      return 403;
    case ErrorCode.NotFound:
      return 404;
    case ErrorCode.Conflict:
      return 409;
    case ErrorCode.TooLarge:
      return 413;
    case ErrorCode.UnsupportedMediaType:
      return 415;
    case ErrorCode.PolicyBlocked:
    case ErrorCode.RenderFailed:
    case ErrorCode.SecretPlaintext:
    case ErrorCode.ClusterRejected:
    case ErrorCode.KeyNotAllowed:
      return 422;
    case ErrorCode.Unavailable:
    case ErrorCode.Cluster:
    case ErrorCode.Git:
      return 503;
    case ErrorCode.Deadline:
      return 504;
    default:
      return 500;
  }
}
