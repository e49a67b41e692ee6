/**
 * HTTP to the Kubernetes API with the credentials of a kubeconfig. This file (with kube-cluster.ts
 * constructing it) is where `@kubernetes/client-node` is used: it reads the kubeconfig and
 * resolves credentials (client certificates, tokens, exec plugins); the requests themselves go
 * over one keep-alive agent so that hundreds of parallel applies reuse a handful of TLS sessions,
 * and responses stay plain JSON text that the caller parses once.
 */
import { Agent, request } from "node:https";
import { KubeConfig } from "@kubernetes/client-node";
import { ErrorCode, SlipwayError } from "../core/errors.ts";

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
}

export interface Transport {
  readonly server: string;
  send(req: HttpRequest): Promise<HttpResponse>;
}

export interface KubeconfigSource {
  /** A kubeconfig file; default: $KUBECONFIG or ~/.kube/config, as kubectl does. */
  readonly kubeconfig?: string;
  readonly context?: string;
}

export async function httpsTransport(source: KubeconfigSource, maxSockets: number): Promise<Transport> {
  const kc = new KubeConfig();
  if (source.kubeconfig) kc.loadFromFile(source.kubeconfig);
  else kc.loadFromDefault();
  if (source.context) kc.setCurrentContext(source.context);
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new SlipwayError(
      ErrorCode.Input,
      `the kubeconfig ${source.kubeconfig ?? "(default)"} has no current cluster; pass a context that exists`,
    );
  }
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
        const headers: Record<string, string> = { ...baseHeaders, accept: req.accept ?? "application/json" };
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
        r.end(req.body);
      });
    },
  };
}
