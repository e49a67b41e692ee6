/**
 * The API's edges as someone probing it would try them: who may read metrics and the contract,
 * what every answer tells caches and browsers, bodies in other media types, cursors from other
 * lists, names the spec refuses, approving one's own work, and tokens that try to outlive the
 * credential that minted them.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { systemActor } from "../src/store/store.ts";
import { createHarness, type Harness } from "./support/api-harness.ts";
import { appSpec, commitFiles, imageAt, newRepository } from "./support/release-repos.ts";

// A release is read from a commit of the app's repository.
const releaseRepo = newRepository();
const release = {
  repository: releaseRepo,
  commit: commitFiles(releaseRepo, { "slipway.yaml": appSpec({ secrets: [] }) }, "checkout"),
  image: imageAt(0xab),
};

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  const body = (await response.json()) as { error?: { code: string; message: string } };
  assert.ok(body.error, `an error body: ${JSON.stringify(body)}`);
  return body.error;
}

for (const kind of ["sqlite", "postgres"] as const)
  describe(`API security on ${kind}`, () => {
    let h: Harness;
    before(async () => {
      h = await createHarness({ kind });
      await h.store.createApp(systemActor, { name: "checkout", teamName: "payments", description: "" });
      await h.store.createApp(systemActor, { name: "indexer", teamName: "search", description: "" });
      await h.store.createTarget(systemActor, { name: "staging", kind: "channel" });
      await h.store.createTarget(systemActor, { name: "develop", kind: "channel" });
      await h.store.createTarget(systemActor, { name: "stable", kind: "channel" });
    });
    after(() => h.dispose());

    test("/metrics needs a platform administrator or their token of scope metrics", async () => {
      assert.equal((await h.call("GET", "/metrics")).status, 401, "anonymous");
      const viewer = await h.call("GET", "/metrics", { as: "viewer" });
      assert.equal(viewer.status, 403);
      assert.match((await errorOf(viewer)).message, /platform administrator/);
      assert.equal((await h.call("GET", "/metrics", { as: "platform-admin" })).status, 200);

      // A team admin cannot mint a scraper's token; a platform administrator can.
      const refused = await h.call("POST", "/api/v1/tokens", {
        as: "admin",
        body: { name: "prometheus", scope: "metrics" },
      });
      assert.equal(refused.status, 403);
      assert.match((await errorOf(refused)).message, /scope metrics needs a platform administrator/);
      const minted = await h.call("POST", "/api/v1/tokens", {
        as: "platform-admin",
        body: { name: "prometheus", scope: "metrics" },
      });
      assert.equal(minted.status, 201);
      const { token, secret } = (await minted.json()) as { token: { scope: string }; secret: string };
      assert.equal(token.scope, "metrics");
      const scraped = await h.call("GET", "/metrics", { token: secret });
      assert.equal(scraped.status, 200);
      assert.match(await scraped.text(), /slipway_http_requests_total/);
      // Worthless anywhere else, even though its user is a platform administrator.
      for (const path of [
        "/api/v1/apps",
        "/api/v1/whoami",
        "/api/v1/audit",
        "/api/v1/openapi.json",
        // Not even whether something exists.
        "/api/v1/apps/checkout",
        "/api/v1/apps/no-such-app",
      ]) {
        const response = await h.call("GET", path, { token: secret });
        assert.equal(response.status, 403, path);
        assert.match((await errorOf(response)).message, /scope is metrics/, path);
      }
    });

    test("the OpenAPI document needs a signed-in caller", async () => {
      assert.equal((await h.call("GET", "/api/v1/openapi.json")).status, 401);
      assert.equal((await h.call("GET", "/api/v1/openapi.json", { as: "outsider" })).status, 200);
    });

    test("no answer may be cached or sniffed; a new token least of all", async () => {
      const created = await h.call("POST", "/api/v1/tokens", { as: "viewer", body: { name: "laptop" } });
      assert.equal(created.status, 201);
      const answers = [
        created,
        await h.call("GET", "/api/v1/apps", { as: "viewer" }),
        await h.call("GET", "/api/v1/apps/nope", { as: "viewer" }),
        await h.call("GET", "/api/v1/apps"),
        await h.call("GET", "/metrics", { as: "platform-admin" }),
        await h.call("GET", "/healthz"),
      ];
      for (const response of answers) {
        assert.equal(response.headers.get("cache-control"), "no-store", response.url);
        assert.equal(response.headers.get("x-content-type-options"), "nosniff", response.url);
        // Plain HTTP, no proxy saying otherwise: no HSTS.
        assert.equal(response.headers.get("strict-transport-security"), null);
      }
      const proxied = await h.call("GET", "/api/v1/whoami", {
        as: "viewer",
        headers: { "x-forwarded-proto": "https" },
      });
      assert.match(proxied.headers.get("strict-transport-security") ?? "", /^max-age=\d{8,}/);
    });

    test("a JSON endpoint refuses text/plain and form bodies with 415 and changes nothing", async () => {
      const json = JSON.stringify({ name: "smuggled", team: "payments" });
      for (const contentType of [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
      ]) {
        const response = await h.call("POST", "/api/v1/apps", { as: "admin", raw: json, contentType });
        assert.equal(response.status, 415, contentType);
        const error = await errorOf(response);
        assert.equal(error.code, "SLIPWAY_E_UNSUPPORTED_MEDIA_TYPE");
        assert.match(
          error.message,
          /POST \/api\/v1\/apps reads JSON: send the body with Content-Type: application\/json/,
        );
      }
      assert.equal((await h.call("GET", "/api/v1/apps/smuggled", { as: "admin" })).status, 404);
      const charset = await h.call("POST", "/api/v1/apps", {
        as: "admin",
        raw: json,
        contentType: "application/json; charset=utf-8",
      });
      assert.equal(charset.status, 201, "JSON with a charset is JSON");
    });

    test("a cursor from another list is a 400 that names the cursor", async () => {
      for (const name of ["cart-1", "cart-2"]) {
        await h.call("POST", "/api/v1/apps", { as: "admin", body: { name, team: "payments" } });
      }
      const page = (await (await h.call("GET", "/api/v1/apps?limit=1", { as: "viewer" })).json()) as {
        nextCursor: string | null;
      };
      assert.ok(page.nextCursor);
      for (const path of ["/api/v1/apps/checkout/releases", "/api/v1/teams", "/api/v1/tokens"]) {
        const response = await h.call("GET", `${path}?cursor=${encodeURIComponent(page.nextCursor)}`, {
          as: "viewer",
        });
        assert.equal(response.status, 400, path);
        assert.match((await errorOf(response)).message, /cursor comes from another list \(apps\)/, path);
      }
    });

    test("app names follow the spec: at most 40 characters", async () => {
      const long = await h.call("POST", "/api/v1/apps", {
        as: "admin",
        body: { name: "a".repeat(41), team: "payments" },
      });
      assert.equal(long.status, 400);
      assert.match((await errorOf(long)).message, /name: app names are at most 40 characters/);
      const longest = await h.call("POST", "/api/v1/apps", {
        as: "admin",
        body: { name: "b".repeat(40), team: "payments" },
      });
      assert.equal(longest.status, 201);
    });

    test("nobody approves the release they recorded or deployed", async () => {
      const recorded = await h.call("POST", "/api/v1/apps/checkout/releases", {
        as: "releaser",
        body: release,
      });
      assert.equal(recorded.status, 201);
      const { release: own } = (await recorded.json()) as { release: { id: string } };
      const self = await h.call("POST", `/api/v1/releases/${own.id}/approvals`, {
        as: "releaser",
        body: { target: "stable" },
      });
      assert.equal(self.status, 403);
      assert.match(
        (await errorOf(self)).message,
        /test:releaser recorded release .* cannot approve it: an approval must come from someone else/,
      );

      const byDeveloper = await h.call("POST", "/api/v1/apps/checkout/releases", {
        as: "developer",
        body: { ...release, image: imageAt(0xcd) },
      });
      const { release: theirs } = (await byDeveloper.json()) as { release: { id: string } };
      const deployed = await h.call("POST", "/api/v1/apps/checkout/deployments", {
        as: "releaser",
        body: { release: theirs.id, target: "develop" },
      });
      assert.equal(deployed.status, 201);
      const afterDeploying = await h.call("POST", `/api/v1/releases/${theirs.id}/approvals`, {
        as: "releaser",
        body: { target: "develop" },
      });
      assert.equal(afterDeploying.status, 403);
      assert.match((await errorOf(afterDeploying)).message, /started deployment .* to develop/);
      // Someone else may.
      const approved = await h.call("POST", `/api/v1/releases/${theirs.id}/approvals`, {
        as: "admin",
        body: { target: "develop" },
      });
      assert.equal(approved.status, 201);
    });

    test("deploying another team's release looks exactly like deploying a missing one", async () => {
      const foreign = await h.store.createRelease(systemActor, {
        appName: "indexer",
        commitSha: "abcdef1",
        imageDigest: `sha256:${"cd".repeat(32)}`,
        specHash: "1".repeat(64),
        secretsHash: "2".repeat(64),
        commitTime: null,
      });
      const answer = async (id: string) => {
        const response = await h.call("POST", "/api/v1/apps/checkout/deployments", {
          as: "releaser",
          body: { release: id, target: "staging" },
        });
        return { status: response.status, text: (await response.text()).replaceAll(id, "<id>") };
      };
      const existing = await answer(foreign.release.id);
      const missing = await answer(`rel_${"0".repeat(28)}`);
      assert.equal(existing.status, 404);
      assert.ok(!existing.text.includes("indexer"), existing.text);
      assert.deepEqual(existing, missing);
    });

    test("a token minted with a token expires no later than it", async () => {
      const first = await h.call("POST", "/api/v1/tokens", {
        as: "developer",
        body: { name: "short", expiresInDays: 1 },
      });
      const short = (await first.json()) as { token: { expiresAt: string }; secret: string };
      const second = await h.call("POST", "/api/v1/tokens", {
        token: short.secret,
        body: { name: "long", expiresInDays: 300 },
      });
      assert.equal(second.status, 201);
      const long = (await second.json()) as { token: { expiresAt: string } };
      assert.equal(long.token.expiresAt, short.token.expiresAt);
    });

    test("revoking a token ends every token minted with it, and theirs", async () => {
      const mint = async (name: string, token?: string) => {
        const response = await h.call("POST", "/api/v1/tokens", {
          ...(token === undefined ? { as: "developer" as const } : { token }),
          body: { name },
        });
        assert.equal(response.status, 201);
        return (await response.json()) as { token: { id: string; mintedBy: string | null }; secret: string };
      };
      const leaked = await mint("leaked");
      const heir = await mint("heir", leaked.secret);
      const grandheir = await mint("grandheir", heir.secret);
      const unrelated = await mint("unrelated");
      assert.equal(heir.token.mintedBy, leaked.token.id);
      assert.equal((await h.call("GET", "/api/v1/whoami", { token: grandheir.secret })).status, 200);

      const revoked = await h.call("DELETE", `/api/v1/tokens/${leaked.token.id}`, {
        token: unrelated.secret,
      });
      assert.equal(revoked.status, 200);
      for (const secret of [leaked.secret, heir.secret, grandheir.secret]) {
        const refused = await h.call("GET", "/api/v1/whoami", { token: secret });
        assert.equal(refused.status, 401);
      }
      assert.equal((await h.call("GET", "/api/v1/whoami", { token: unrelated.secret })).status, 200);
      const listed = (await (
        await h.call("GET", "/api/v1/tokens?limit=100", { token: unrelated.secret })
      ).json()) as {
        items: { id: string; revokedAt: string | null }[];
      };
      for (const id of [heir.token.id, grandheir.token.id]) {
        assert.ok(listed.items.find((t) => t.id === id)?.revokedAt, `${id} is listed as revoked`);
      }
    });
  });

describe("HSTS when the server's public address is https", () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ publicUrl: "https://slipway.example.com" });
  });
  after(() => h.dispose());

  test("every answer carries Strict-Transport-Security", async () => {
    for (const response of [
      await h.call("GET", "/healthz"),
      await h.call("GET", "/api/v1/whoami", { as: "viewer" }),
      await h.call("GET", "/api/v1/whoami"),
    ]) {
      assert.equal(response.headers.get("strict-transport-security"), "max-age=31536000; includeSubDomains");
    }
  });
});
