/** The HTTP API in-process: the path of a release, pagination, bad input and credentials. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { apiRoutes } from "../src/server/app.ts";
import { issueToken } from "../src/server/auth/api-tokens.ts";
import { systemActor } from "../src/store/store.ts";
import { createHarness, type Harness } from "./support/api-harness.ts";
import { appSpec, commitFiles, imageAt, newRepository } from "./support/release-repos.ts";

// A release is read from a commit of the app's repository; v2/ holds the same app, changed.
const releaseRepo = newRepository();
const release = {
  repository: releaseRepo,
  commit: commitFiles(
    releaseRepo,
    {
      "slipway.yaml": appSpec({ secrets: [] }),
      "v2/slipway.yaml": appSpec({ secrets: [], extra: "replicas: 2\n" }),
    },
    "checkout",
  ),
  image: imageAt(0xab),
};

async function errorOf(
  response: Response,
): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  const body = (await response.json()) as {
    error: { code: string; message: string; details: Record<string, unknown> };
  };
  assert.ok(body.error, `an error body: ${JSON.stringify(body)}`);
  return body.error;
}

// The API on both databases: the store contract proves the store, this proves nothing above it
// leans on one database's behaviour.
for (const kind of ["sqlite", "postgres"] as const)
  describe(`HTTP API on ${kind}`, () => {
    let h: Harness;
    before(async () => {
      h = await createHarness({ kind });
    });
    after(() => h.dispose());

    test("health, readiness, metrics and the OpenAPI document", async () => {
      assert.equal((await h.call("GET", "/healthz")).status, 200);
      assert.deepEqual(await (await h.call("GET", "/readyz")).json(), { status: "ready" });
      const doc = (await (await h.call("GET", "/api/v1/openapi.json", { as: "viewer" })).json()) as {
        paths: Record<
          string,
          Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>
        >;
      };
      assert.ok(doc.paths["/api/v1/apps/{app}/deployments"]?.post);
      const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods)) as {
        operationId?: string;
        responses?: object;
      }[];
      assert.equal(operations.length, apiRoutes.length, "every route is in the document");
      assert.equal(
        new Set(operations.map((o) => o.operationId)).size,
        operations.length,
        "operation ids are unique",
      );
      const createApp = doc.paths["/api/v1/apps"]?.post?.requestBody?.content["application/json"]?.schema as {
        additionalProperties?: unknown;
        required?: string[];
      };
      assert.equal(
        createApp.additionalProperties,
        false,
        "unknown fields are refused, and the document says so",
      );
      assert.deepEqual(createApp.required, ["name", "team"]);
      await h.call("GET", "/api/v1/apps", { as: "viewer" });
      const metrics = await (await h.call("GET", "/metrics", { as: "platform-admin" })).text();
      assert.match(
        metrics,
        /slipway_http_requests_total\{route="\/api\/v1\/apps",method="GET",status="200"\} 1/,
      );
      assert.match(metrics, /process_resident_memory_bytes \d+/);
    });

    test("a release travels: register app, record release, deploy, report progress, read history", async () => {
      const created = await h.call("POST", "/api/v1/apps", {
        as: "admin",
        body: { name: "checkout", team: "payments", description: "the cart" },
      });
      assert.equal(created.status, 201);
      const r1 = await h.call("POST", "/api/v1/apps/checkout/releases", { as: "developer", body: release });
      assert.equal(r1.status, 201);
      const { release: rel, created: isNew } = (await r1.json()) as {
        release: { id: string };
        created: boolean;
      };
      assert.equal(isNew, true);
      const again = (await (
        await h.call("POST", "/api/v1/apps/checkout/releases", { as: "developer", body: release })
      ).json()) as {
        created: boolean;
      };
      assert.equal(again.created, false);
      const changed = await h.call("POST", "/api/v1/apps/checkout/releases", {
        as: "developer",
        body: { ...release, path: "v2" },
      });
      assert.equal(changed.status, 409);
      assert.match((await errorOf(changed)).message, /immutable/);

      await h.store.createTarget(systemActor, { name: "develop", kind: "channel" });
      const dep = await h.call("POST", "/api/v1/apps/checkout/deployments", {
        as: "releaser",
        body: { release: rel.id, target: "develop" },
      });
      assert.equal(dep.status, 201);
      const deployment = (await dep.json()) as { id: string; sequence: number };
      assert.equal(deployment.sequence, 1);
      const refused = await h.call("POST", `/api/v1/deployments/${deployment.id}/status`, {
        as: "releaser",
        body: { status: "failed", message: "" },
      });
      assert.equal(refused.status, 409, "the engine runs it and records its status itself");
      assert.match((await errorOf(refused)).message, /being run by the server's engine/);
      // A deployment run elsewhere (a CLI's own deploy, recorded here) reports its own progress.
      const outside = await h.store.startDeployment(systemActor, {
        releaseId: rel.id,
        targetName: "develop",
      });
      for (const status of ["progressing", "available"]) {
        const s = await h.call("POST", `/api/v1/deployments/${outside.id}/status`, {
          as: "releaser",
          body: { status, message: status },
        });
        assert.equal(s.status, 200);
      }
      const detail = (await (
        await h.call("GET", `/api/v1/deployments/${outside.id}`, { as: "viewer" })
      ).json()) as {
        status: string;
        availableAt: string | null;
        events: { status: string }[];
      };
      assert.equal(detail.status, "available");
      assert.ok(detail.availableAt);
      assert.deepEqual(
        detail.events.map((e) => e.status),
        ["pending", "progressing", "available"],
      );
      const audit = (await (await h.call("GET", "/api/v1/teams/payments/audit", { as: "admin" })).json()) as {
        items: { action: string; actor: string }[];
      };
      assert.deepEqual(audit.items.map((e) => `${e.action} by ${e.actor}`).slice(0, 5), [
        "deployment.status by test:releaser",
        "deployment.status by test:releaser",
        "deployment.start by system",
        "deployment.start by test:releaser",
        "release.create by test:developer",
      ]);
    });

    test("lists page with a cursor and refuse limits over the maximum", async () => {
      for (const n of [1, 2, 3, 4]) {
        await h.call("POST", "/api/v1/apps", { as: "admin", body: { name: `svc-${n}`, team: "payments" } });
      }
      const names: string[] = [];
      let path = "/api/v1/apps?limit=2";
      for (;;) {
        const page = (await (await h.call("GET", path, { as: "viewer" })).json()) as {
          items: { name: string }[];
          nextCursor: string | null;
        };
        assert.ok(page.items.length <= 2);
        names.push(...page.items.map((a) => a.name));
        if (page.nextCursor === null) break;
        path = `/api/v1/apps?limit=2&cursor=${encodeURIComponent(page.nextCursor)}`;
      }
      assert.deepEqual(names, ["checkout", "svc-1", "svc-2", "svc-3", "svc-4"]);
      const tooMany = await h.call("GET", "/api/v1/apps?limit=1000", { as: "viewer" });
      assert.equal(tooMany.status, 400);
      assert.match((await errorOf(tooMany)).message, /limit/);
      const outsider = (await (await h.call("GET", "/api/v1/apps", { as: "outsider" })).json()) as {
        items: unknown[];
      };
      assert.deepEqual(outsider.items, [], "apps of other teams are not listed");
    });

    test("bad input gets the right status and says what to fix", async () => {
      const cases: [string, string, Parameters<Harness["call"]>[2], number, RegExp][] = [
        ["malformed JSON", "/api/v1/apps", { as: "admin", raw: '{"name": ' }, 400, /not valid JSON/],
        ["empty body", "/api/v1/apps", { as: "admin", raw: "" }, 400, /needs a JSON body/],
        [
          "too large",
          "/api/v1/apps",
          { as: "admin", raw: JSON.stringify({ name: "x".repeat(70_000) }) },
          413,
          /larger than/,
        ],
        [
          "unknown field",
          "/api/v1/apps",
          { as: "admin", body: { name: "ok", team: "payments", colour: "blue" } },
          400,
          /unknown field\(s\) "colour"/,
        ],
        [
          "invalid name",
          "/api/v1/apps",
          { as: "admin", body: { name: "Bad_Name", team: "payments" } },
          400,
          /name: must be/,
        ],
        ["wrong type", "/api/v1/apps", { as: "admin", body: [1, 2] }, 400, /invalid request body/],
        ["missing credentials", "/api/v1/apps", {}, 401, /no credentials/],
        ["unknown token", "/api/v1/apps", { token: "slw_nope" }, 401, /not valid/],
        ["not a bearer", "/api/v1/apps", { token: "" }, 401, /no credentials|Bearer/],
        [
          "wrong team",
          "/api/v1/apps",
          { as: "outsider", body: { name: "sneaky", team: "payments" } },
          403,
          /not a member of team "payments"/,
        ],
        [
          "too little role",
          "/api/v1/apps",
          { as: "developer", body: { name: "nope", team: "payments" } },
          403,
          /needs the admin role/,
        ],
        [
          "duplicate",
          "/api/v1/apps",
          { as: "admin", body: { name: "checkout", team: "payments" } },
          409,
          /already exists/,
        ],
        [
          "unknown team",
          "/api/v1/apps",
          { as: "admin", body: { name: "new-one", team: "nope" } },
          404,
          /team "nope"/,
        ],
      ];
      for (const [what, path, options, status, message] of cases) {
        const response = await h.call("POST", path, options);
        assert.equal(response.status, status, what);
        assert.match((await errorOf(response)).message, message, what);
      }
      const badPath = await h.call("GET", "/api/v1/apps/UPPER", { as: "viewer" });
      assert.equal(badPath.status, 400);
      const badQuery = await h.call("GET", "/api/v1/whoami?debug=1", { as: "viewer" });
      assert.equal(badQuery.status, 400);
      assert.equal((await h.call("GET", "/api/v1/nothing", { as: "viewer" })).status, 404);
    });

    test("tokens: shown once, listed without secrets, expire, revoke; secrets never in responses or logs", async () => {
      const created = await h.call("POST", "/api/v1/tokens", {
        as: "viewer",
        body: { name: "laptop", expiresInDays: 1 },
      });
      assert.equal(created.status, 201);
      const { token, secret } = (await created.json()) as { token: { id: string }; secret: string };
      assert.match(secret, /^slw_[A-Za-z0-9_-]{43}$/);
      assert.equal((await h.call("GET", "/api/v1/whoami", { token: secret })).status, 200);
      const listed = await (await h.call("GET", "/api/v1/tokens", { as: "viewer" })).text();
      assert.ok(listed.includes(token.id) && !listed.includes(secret));
      assert.equal(
        (await h.call("DELETE", `/api/v1/tokens/${token.id}`, { as: "developer" })).status,
        404,
        "not yours",
      );
      assert.equal((await h.call("DELETE", `/api/v1/tokens/${token.id}`, { as: "viewer" })).status, 200);
      const revoked = await h.call("GET", "/api/v1/whoami", { token: secret });
      assert.equal(revoked.status, 401);
      assert.match((await errorOf(revoked)).message, /revoked/);

      const viewer = await h.store.findUserBySubject("test:viewer");
      const expired = await issueToken(h.store, systemActor, {
        userId: viewer!.id,
        name: "old",
        expiresAt: new Date(Date.now() - 1000),
      });
      const response = await h.call("GET", "/api/v1/whoami", { token: expired.secret });
      assert.equal(response.status, 401);
      assert.match((await errorOf(response)).message, /expired/);

      const audit = await (await h.call("GET", "/api/v1/audit?limit=200", { as: "platform-admin" })).text();
      const logs = h.logs.join("\n");
      for (const s of [secret, expired.secret, ...Object.values(h.tokens)]) {
        assert.ok(!audit.includes(s) && !logs.includes(s), "no token secret in audit or logs");
      }
    });

    test("the audit log is read-only through the API", async () => {
      for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
        for (const path of ["/api/v1/audit", "/api/v1/teams/payments/audit"]) {
          const response = await h.call(method, path, { as: "platform-admin", body: {} });
          assert.equal(response.status, 404, `${method} ${path}`);
        }
      }
    });
  });
