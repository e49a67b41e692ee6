import assert from "node:assert/strict";
import { test } from "node:test";
import { isSlipwayError } from "../core/errors.ts";
import { ApiClient, type WaitNotice } from "./api-client.ts";
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

test("a server that keeps failing is retried until the deadline, then a typed error with its last answer", async () => {
  const t = scripted([
    { status: 504, body: '{"kind":"Status","reason":"Timeout","message":"request did not complete"}' },
  ]);
  const client = new ApiClient(t);
  const notices: WaitNotice[] = [];
  const started = Date.now();
  await assert.rejects(
    client.within({ name: "apply", timeoutMs: 1500, onWait: (n) => notices.push(n) }, () =>
      client.call(req, { ...ctx, ref: "ConfigMap/shop/web" }),
    ),
    (e: unknown) => {
      assert.ok(isSlipwayError(e));
      assert.equal(e.code, "SLIPWAY_E_DEADLINE");
      assert.match(
        e.message,
        /^ConfigMap\/shop\/web: no successful answer from the API server within the apply deadline \(1\.5s\)/,
      );
      assert.match(e.message, /last answer: answered 504 Timeout$/);
      assert.equal(e.details.inDoubt, true, "a write that got 504s may have been carried out");
      return true;
    },
  );
  const took = Date.now() - started;
  assert.ok(took >= 1400 && took < 2500, `gave up at the deadline, not before or long after (${took} ms)`);
  assert.ok(t.calls > 2, "retried meanwhile");
  assert.match(notices[0]?.text ?? "", /^API server answered 504 Timeout once; next try (at once|in \d s)$/);
  assert.equal(notices[0]?.phase, "apply");
});

test("the first failure is told at once; later ones say how many times and when the next try is", async () => {
  let calls = 0;
  const t: Transport = {
    server: "https://test",
    async send() {
      calls++;
      if (calls <= 3) return { status: 503, body: '{"reason":"ServiceUnavailable"}', retryAfter: 2 };
      return { status: 200, body: "{}" };
    },
  };
  const client = new ApiClient(t);
  const notices: WaitNotice[] = [];
  const res = await client.within({ name: "apply", timeoutMs: 30_000, onWait: (n) => notices.push(n) }, () =>
    client.call(req, ctx),
  );
  assert.equal(res.status, 200);
  assert.match(
    notices[0]?.text ?? "",
    /^API server answered 503 ServiceUnavailable once; next try in [12] s$/,
  );
  assert.ok(notices.length >= 2);
  assert.match(
    notices.at(-1)?.text ?? "",
    /^API server answers again \(after 3 failed attempts, \d+\.\d s\)$/,
  );
  assert.equal(notices.at(-1)?.nextTryMs, 0);
});

test("a server that never answered and refuses connections fails fast, saying so", async () => {
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
  let calls = 0;
  const t: Transport = {
    server: "https://127.0.0.1:1",
    async send() {
      calls++;
      throw refused;
    },
  };
  const started = Date.now();
  await assert.rejects(new ApiClient(t).call(req, ctx), (e: unknown) => {
    assert.ok(isSlipwayError(e));
    assert.equal(e.code, "SLIPWAY_E_UNAVAILABLE");
    assert.match(
      e.message,
      /^cannot connect to the API server at https:\/\/127\.0\.0\.1:1: it refused the connection \(3 tries\); nothing listens/,
    );
    return true;
  });
  assert.equal(calls, 3);
  assert.ok(Date.now() - started < 2000);
});

test("a server that answered before and now refuses is waited for (a restart)", async () => {
  let calls = 0;
  const t: Transport = {
    server: "https://test",
    async send() {
      calls++;
      if (calls === 1 || calls > 6) return { status: 200, body: "{}" };
      throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    },
  };
  const client = new ApiClient(t);
  await client.call(req, ctx);
  const notices: WaitNotice[] = [];
  const res = await client.within({ name: "apply", timeoutMs: 60_000, onWait: (n) => notices.push(n) }, () =>
    client.call(req, ctx),
  );
  assert.equal(res.status, 200);
  assert.ok(calls > 7, "and asked /readyz before sending again");
  assert.match(notices[0]?.text ?? "", /^API server refused the connection once; next try/);
});

test("a TLS failure is not retried and says the certificate is not trusted", async () => {
  let calls = 0;
  const t: Transport = {
    server: "https://test:6443",
    async send() {
      calls++;
      throw Object.assign(new Error("unable to verify the first certificate"), {
        code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      });
    },
  };
  await assert.rejects(new ApiClient(t).call(req, ctx), (e: unknown) => {
    assert.ok(isSlipwayError(e));
    assert.equal(e.code, "SLIPWAY_E_CLUSTER");
    assert.match(
      e.message,
      /^TLS failure: the API server at https:\/\/test:6443 was not trusted, its certificate is not signed by the certificate authority in the kubeconfig \(UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
    );
    return true;
  });
  assert.equal(calls, 1);
});

test("an attempt without an answer is cut at the request timeout and retried", async () => {
  let calls = 0;
  const t: Transport = {
    server: "https://test",
    send(r) {
      calls++;
      if (calls > 1) return Promise.resolve({ status: 200, body: "{}" });
      return new Promise((_, reject) =>
        setTimeout(
          () => reject(Object.assign(new Error(`no answer within ${r.timeoutMs} ms`), { code: "ETIMEDOUT" })),
          r.timeoutMs,
        ),
      );
    },
  };
  const started = Date.now();
  const res = await new ApiClient(t, { requestTimeoutMs: 200 }).call(req, ctx);
  assert.equal(res.status, 200);
  assert.ok(Date.now() - started < 1500);
});

test("a 4xx is not retried", async () => {
  const t = scripted([{ status: 404, body: '{"message":"not found"}' }]);
  await assert.rejects(
    new ApiClient(t).call(req, ctx),
    (e: unknown) => isSlipwayError(e) && e.code === "SLIPWAY_E_NOT_FOUND",
  );
  assert.equal(t.calls, 1);
});

test("after the connection dropped, requests wait until the restarted server says it is ready (it denies them before)", async () => {
  let phase: "up" | "down" | "starting" | "ready" = "up";
  let readyProbes = 0;
  const t: Transport = {
    server: "https://test",
    async send(r) {
      if (phase === "down") {
        phase = "starting";
        throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      }
      if (r.path === "/readyz") {
        if (++readyProbes >= 3) phase = "ready";
        return { status: phase === "ready" ? 200 : 403, body: "{}" };
      }
      // Before its authorizer has synced, a starting API server denies what it will allow later.
      if (phase === "starting") return { status: 403, body: '{"reason":"Forbidden","message":"forbidden"}' };
      return { status: 200, body: "{}" };
    },
  };
  const client = new ApiClient(t);
  await client.call(req, ctx);
  phase = "down";
  const notices: WaitNotice[] = [];
  const res = await client.within({ name: "apply", timeoutMs: 60_000, onWait: (n) => notices.push(n) }, () =>
    client.call(req, ctx),
  );
  assert.equal(res.status, 200);
  assert.equal(readyProbes, 3);
  assert.ok(
    notices.some((n) => /says it is not ready \(\/readyz answered 403\)/.test(n.text)),
    JSON.stringify(notices),
  );
});
