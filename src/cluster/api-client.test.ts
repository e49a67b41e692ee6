import assert from "node:assert/strict";
import { test } from "node:test";
import { isSlipwayError } from "../core/errors.ts";
import { ApiClient } from "./api-client.ts";
import type { HttpRequest, HttpResponse, Transport } from "./transport.ts";

/** A transport that answers from a script, one response per call. */
function scripted(responses: HttpResponse[]): Transport & { calls: number } {
  const t = {
    server: "https://test",
    calls: 0,
    async send(_req: HttpRequest): Promise<HttpResponse> {
      const r = responses[Math.min(t.calls, responses.length - 1)];
      t.calls++;
      if (!r) throw new Error("script exhausted");
      return r;
    },
  };
  return t;
}

const ctx = { verb: "patch", resource: "configmaps", namespace: "shop", name: "web" } as const;
const req = { method: "PATCH", path: "/api/v1/namespaces/shop/configmaps/web", body: "{}" } as const;

test("429 with Retry-After is retried and shrinks the requests in flight", async () => {
  const t = scripted([
    { status: 429, body: '{"message":"too many requests"}', retryAfter: 0.01 },
    { status: 429, body: '{"message":"too many requests"}', retryAfter: 0.01 },
    { status: 200, body: "{}" },
  ]);
  const client = new ApiClient(t, { initialConcurrency: 16 });
  const res = await client.call(req, ctx);
  assert.equal(res.status, 200);
  assert.equal(t.calls, 3);
  assert.equal(client.throttled, 2);
  assert.equal(client.limiter.limit, 8, "halved once: the second 429 came within the cool-down");
});

test("a server that keeps failing gives up with a typed error, not a hang", async () => {
  const t = scripted([{ status: 503, body: '{"message":"etcd leader changed"}', retryAfter: 0.001 }]);
  const client = new ApiClient(t);
  await assert.rejects(
    client.call(req, ctx),
    (e: unknown) =>
      isSlipwayError(e) && e.code === "SLIPWAY_E_UNAVAILABLE" && e.message.includes("etcd leader changed"),
  );
  assert.equal(t.calls, 6);
});

test("a 4xx is not retried", async () => {
  const t = scripted([{ status: 404, body: '{"message":"not found"}' }]);
  await assert.rejects(
    new ApiClient(t).call(req, ctx),
    (e: unknown) => isSlipwayError(e) && e.code === "SLIPWAY_E_NOT_FOUND",
  );
  assert.equal(t.calls, 1);
});
