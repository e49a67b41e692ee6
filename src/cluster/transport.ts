/**
 * HTTP to the Kubernetes API with the credentials of a kubeconfig. This file (with kube-cluster.ts
 * constructing it) is where `@kubernetes/client-node` is used: it reads the kubeconfig and
 * resolves credentials (client certificates, tokens, and — only when the operator allows it —
 * credential plugins); the requests themselves go over one keep-alive agent so that hundreds of
 * parallel applies reuse a handful of TLS sessions, and responses stay plain JSON text that the
 * caller parses once.
 */
import { existsSync } from "node:fs";
import { Agent, request } from "node:https";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { ErrorCode, SlipwayError } from "../core/errors.ts";
import { ALLOW_CREDENTIAL_PLUGINS_ENV } from "./cluster.ts";

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
  /** Seconds the server asked us to wait (429/503 Retry-After). */
  readonly retryAfter?: number;
}

export interface HttpRequest {
  readonly method: "GET" | "PATCH" | "DELETE" | "POST";
  /** Path and query, e.g. `/api/v1/namespaces/x/configmaps?labelSelector=…`. */
  readonly path: string;
  readonly body?: string;
  readonly contentType?: string;
  /** Default `application/json`; e.g. a metadata-only view of the response. */
  readonly accept?: string;
  /**
   * Give up on this request when the server has sent nothing for this long: the request fails
   * with code `ETIMEDOUT` (api-client.ts retries it or fails at its deadline).
   */
  readonly timeoutMs?: number;
}

export interface Transport {
  readonly server: string;
  send(req: HttpRequest): Promise<HttpResponse>;
}

export interface KubeconfigSource {
  /** A kubeconfig file (or a $KUBECONFIG-style list); default: $KUBECONFIG or ~/.kube/config, as kubectl does. */
  readonly kubeconfig?: string;
  readonly context?: string;
  /**
   * Run the user's credential plugin (`exec`, or an `auth-provider` such as gcp's `cmd-path`) to
   * get a token. A plugin is a command: only the operator may allow it, never the kubeconfig alone.
   */
  readonly allowCredentialPlugins?: boolean;
}

export async function httpsTransport(source: KubeconfigSource, maxSockets: number): Promise<Transport> {
  const { kc, where } = loadKubeconfig(source.kubeconfig, source.context);
  if (source.context) {
    if (kc.getContextObject(source.context) === null) {
      const known = kc.getContexts().map((c) => c.name);
      throw new SlipwayError(
        ErrorCode.Input,
        `the kubeconfig ${where} has no context \`${source.context}\` (it has ${known.length === 0 ? "none" : known.join(", ")}); ` +
          "add the context there, or point the platform's cluster at the kubeconfig that has it (clusters[].kubeconfig.path, or $KUBECONFIG)",
        { details: { kubeconfig: where, context: source.context, contexts: known } },
      );
    }
    kc.setCurrentContext(source.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new SlipwayError(
      ErrorCode.Input,
      `the kubeconfig ${where} has no current cluster${kc.currentContext ? ` (context \`${kc.currentContext}\`)` : ""}; name a context that exists in clusters[].kubeconfig.context of the platform file`,
      { details: { kubeconfig: where } },
    );
  }
  refuseCredentialPlugins(kc, where, source.allowCredentialPlugins === true);
  const url = new URL(cluster.server);
  const opts: import("node:https").RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const agent = new Agent({
    keepAlive: true,
    maxSockets,
    ...(opts.ca ? { ca: opts.ca } : {}),
    ...(opts.cert ? { cert: opts.cert } : {}),
    ...(opts.key ? { key: opts.key } : {}),
    ...(opts.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: opts.rejectUnauthorized }),
    ...(opts.servername ? { servername: opts.servername } : {}),
  });
  const baseHeaders = { ...(opts.headers as Record<string, string> | undefined) };
  const auth = opts.auth;
  return {
    server: cluster.server,
    send(req) {
      return new Promise<HttpResponse>((resolve, reject) => {
        // Named, so that an API server's audit log tells Slipway's requests from kubectl's.
        const headers: Record<string, string> = {
          "user-agent": "slipway",
          ...baseHeaders,
          accept: req.accept ?? "application/json",
        };
        if (req.body !== undefined) {
          headers["content-type"] = req.contentType ?? "application/json";
          // A sized body, not chunked: the API server answered the request after a chunked DELETE
          // on the same kept-alive connection with 400.
          headers["content-length"] = String(Buffer.byteLength(req.body));
        }
        const r = request(
          {
            protocol: url.protocol,
            hostname: url.hostname,
            port: url.port || 443,
            method: req.method,
            path: `${url.pathname.replace(/\/$/, "")}${req.path}`,
            agent,
            headers,
            ...(auth ? { auth } : {}),
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("error", reject);
            res.on("end", () => {
              const ra = Number(res.headers["retry-after"]);
              resolve({
                status: res.statusCode ?? 0,
                body: Buffer.concat(chunks).toString("utf8"),
                ...(Number.isFinite(ra) && ra > 0 ? { retryAfter: ra } : {}),
              });
            });
          },
        );
        r.on("error", reject);
        if (req.timeoutMs !== undefined) {
          // An API server that accepted the connection and froze (or waits on a frozen etcd) sends
          // nothing: without this the request would wait for the kernel's keep-alive, minutes.
          r.setTimeout(req.timeoutMs, () =>
            r.destroy(
              Object.assign(new Error(`no answer within ${Math.round(req.timeoutMs! / 100) / 10} s`), {
                code: "ETIMEDOUT",
              }),
            ),
          );
        }
        r.end(req.body);
      });
    },
  };
}

/**
 * Reads the kubeconfig as kubectl finds it: the given file (or list), else $KUBECONFIG, else
 * ~/.kube/config, else the in-cluster service account. `where` names it in messages.
 */
function loadKubeconfig(
  file: string | undefined,
  context: string | undefined,
): { kc: KubeConfig; where: string } {
  const kc = new KubeConfig();
  const list = file || process.env.KUBECONFIG || undefined;
  const home = join(homedir(), ".kube", "config");
  const files = list ? list.split(delimiter).filter(Boolean) : existsSync(home) ? [home] : [];
  if (files.length === 0 && !process.env.KUBERNETES_SERVICE_HOST) {
    // Outside a pod the client would make up a context for localhost: say what is missing instead.
    throw new SlipwayError(
      ErrorCode.Input,
      `no kubeconfig to reach ${context ? `context \`${context}\`` : "the cluster"}: $KUBECONFIG is not set and ${home} does not exist; ` +
        "set $KUBECONFIG, or point the platform's cluster at a kubeconfig (clusters[].kubeconfig.path)",
      { details: { kubeconfig: home, ...(context ? { context } : {}) } },
    );
  }
  const where = files.length > 0 ? files.join(delimiter) : "(in-cluster service account)";
  try {
    if (files.length === 0) kc.loadFromDefault();
    for (const [i, f] of files.entries()) {
      if (i === 0) {
        kc.loadFromFile(f);
        continue;
      }
      const more = new KubeConfig();
      more.loadFromFile(f);
      kc.mergeConfig(more);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "does not exist" : `cannot be read: ${(error as Error).message}`;
    throw new SlipwayError(ErrorCode.Input, `the kubeconfig ${where} ${reason}`, {
      cause: error,
      details: { kubeconfig: where },
    });
  }
  return { kc, where };
}

/**
 * A kubeconfig user whose credentials come from a command (`exec`, or an `auth-provider`, which
 * for gcp runs its `cmd-path`) is refused unless the operator allowed plugins: whoever wrote the
 * kubeconfig would otherwise run any command with Slipway's environment (its tokens included).
 */
function refuseCredentialPlugins(kc: KubeConfig, where: string, allowed: boolean): void {
  if (allowed) return;
  const user = kc.getCurrentUser();
  if (!user) return;
  const kind = user.exec ? "exec" : user.authProvider ? "auth-provider" : undefined;
  if (kind === undefined) return;
  const command =
    kind === "exec"
      ? String((user.exec as { command?: unknown }).command ?? "?")
      : String((user.authProvider as { name?: unknown }).name ?? "?");
  throw new SlipwayError(
    ErrorCode.Input,
    `the kubeconfig ${where} gives user \`${user.name}\` (context \`${kc.currentContext}\`) its credentials from an ${kind} plugin (\`${command}\`), ` +
      `and Slipway runs credential plugins only when the operator allows it: set ${ALLOW_CREDENTIAL_PLUGINS_ENV}=1 where Slipway runs ` +
      "(the CI or server settings, never an app's repository), or give that user a token or client certificate",
    { details: { kubeconfig: where, user: user.name, context: kc.currentContext, plugin: kind } },
  );
}
