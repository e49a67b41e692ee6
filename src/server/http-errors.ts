/**
 * The one place a failure becomes an HTTP response: `{error: {code, message, details}}` with the
 * status `httpStatusFor` gives the code. Anything that is not a SlipwayError is a bug: the caller
 * gets a generic 500 and the log gets the stack (never request bodies or headers, which can carry
 * secrets).
 */
import type { z } from "zod";
import type { ErrorBody } from "../api/resources.ts";
import { ErrorCode, httpStatusFor, isSlipwayError, SlipwayError } from "../core/errors.ts";
import { databaseUnavailable } from "../store/pg-client.ts";

export interface Logger {
  error(message: string): void;
  info(message: string): void;
}

export function errorResponse(error: unknown, logger: Logger): Response {
  if (isSlipwayError(error)) {
    const body: ErrorBody = {
      error: {
        code: error.code,
        message: error.message,
        details: { ...error.details, ...(error.problems.length ? { problems: error.problems } : {}) },
      },
    };
    return Response.json(body, { status: httpStatusFor(error.code) });
  }
  const down = databaseUnavailable(error);
  if (down !== undefined) {
    // Not the request's fault, nor a bug: the database is away (restarting, failing over).
    logger.error(`database unavailable: ${down}`);
    const body: ErrorBody = {
      error: {
        code: ErrorCode.Unavailable,
        message:
          "the server's database is unavailable right now (it may be restarting), so the request could not be completed. " +
          "Retry in a few seconds: the server reconnects by itself.",
        details: { database: down },
      },
    };
    return Response.json(body, { status: 503, headers: { "retry-after": "2" } });
  }
  logger.error(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  const body: ErrorBody = {
    error: {
      code: ErrorCode.Internal,
      message: "internal error; the server log has the details",
      details: {},
    },
  };
  return Response.json(body, { status: 500 });
}

/** A schema failure in request `part`: every issue with its field path, in one 400. */
export function invalidInput(part: "path" | "query" | "body", error: z.ZodError): SlipwayError {
  const issues = error.issues.map((issue) => ({
    field: issue.path.map(String).join("."),
    message:
      issue.code === "unrecognized_keys"
        ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}: remove them`
        : issue.message,
  }));
  const summary = issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join("; ");
  return new SlipwayError(ErrorCode.Input, `invalid request ${part}: ${summary}`, { details: { issues } });
}
