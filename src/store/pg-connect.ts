/**
 * The first connection to PostgreSQL, made on its own before anything else, so that a server
 * pointed at a database it cannot use says which host, why, and what to check — instead of an
 * internal error with a driver's stack trace from deep inside the first migration.
 */
import pg from "pg";
import { ErrorCode, SlipwayError } from "../core/errors.ts";

/** A host that never answers (a dropped packet, a wrong address) fails after this long. */
const connectTimeoutMs = 10_000;

export async function checkPostgresReachable(url: string, shownUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("select 1");
  } catch (error) {
    throw explainConnectFailure(url, shownUrl, error);
  } finally {
    await client.end().catch(() => {});
  }
}

export function explainConnectFailure(url: string, shownUrl: string, error: unknown): SlipwayError {
  const { host, port, database, user } = parts(url);
  const where = `PostgreSQL at ${host}:${port}`;
  const code = (error as { code?: unknown } | null)?.code;
  const text = error instanceof Error ? error.message : String(error);
  let message: string;
  switch (code) {
    case "ECONNREFUSED":
      message = `${where} refused the connection: is PostgreSQL running, and listening on that address and port (listen_addresses, port in postgresql.conf)?`;
      break;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      message = `cannot find the host ${host}: check the host name in --database (or SLIPWAY_DATABASE_URL)`;
      break;
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      message = `${where} does not answer (${code}): check the address, the network and any firewall between here and there`;
      break;
    case "ECONNRESET":
      message = `${where} closed the connection before answering: check that the port is PostgreSQL's, and whether it requires TLS (sslmode=require in the URL)`;
      break;
    case "3D000":
      message = `${where} has no database "${database}": create it (createdb ${database}) or fix its name in --database`;
      break;
    case "28000":
    case "28P01":
      message = `${where} refused user "${user}": ${text}; check the user and password in --database and the server's pg_hba.conf`;
      break;
    case "57P03":
      message = `${where} is starting up or shutting down: start again in a moment`;
      break;
    case "53300":
      message = `${where} has no free connection slot (max_connections): close idle clients or raise the limit`;
      break;
    default:
      message = /timeout/i.test(text)
        ? `${where} did not answer within ${connectTimeoutMs / 1000} s: check the address, the network and any firewall, and that PostgreSQL is up`
        : `cannot connect to ${where}: ${text}`;
  }
  return new SlipwayError(ErrorCode.Unavailable, `${message} (database ${shownUrl})`, {
    cause: error,
    details: { host, port, ...(typeof code === "string" ? { reason: code } : {}) },
  });
}

function parts(url: string): { host: string; port: string; database: string; user: string } {
  try {
    const parsed = new URL(url);
    return {
      host: parsed.hostname || "localhost",
      port: parsed.port || "5432",
      database: decodeURIComponent(parsed.pathname.slice(1)) || "postgres",
      user: decodeURIComponent(parsed.username) || "(default)",
    };
  } catch {
    return { host: "(unparseable URL)", port: "?", database: "?", user: "?" };
  }
}
