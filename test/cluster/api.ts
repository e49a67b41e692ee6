/**
 * A few raw HTTPS calls to the test apiserver with the admin client certificate: health checks and
 * node creation during start-up. The test cluster deliberately does not use Slipway's cluster
 * adapter, so that a bug there cannot hide behind a cluster that "started".
 */
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";

export interface ApiResponse {
  readonly status: number;
  readonly body: string;
}

export function apiCall(
  pki: string,
  port: number,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 5000,
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        ca: readFileSync(join(pki, "ca.crt")),
        cert: readFileSync(join(pki, "admin.crt")),
        key: readFileSync(join(pki, "admin.key")),
        headers: payload === undefined ? {} : { "content-type": "application/json" },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}
