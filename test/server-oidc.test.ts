/**
 * OIDC sign-in against a local provider stand-in: an HTTP server on 127.0.0.1 that serves the
 * discovery document and a JWKS of keys this test generates, and rotates them mid-test.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from "node:net";
import { after, before, describe, test } from "node:test";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { oidcVerifier } from "../src/server/auth/oidc.ts";
import { systemActor } from "../src/store/store.ts";
import { createHarness, type Harness } from "./support/api-harness.ts";

interface Key {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

async function newKey(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

describe("OIDC sign-in", () => {
  let server: Server;
  let issuer = "";
  let published: Key[] = [];
  let jwksFetches = 0;
  let h: Harness;
  let first: Key;

  before(async () => {
    first = await newKey("k1");
    published = [first];
    server = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/.well-known/openid-configuration") {
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
      } else if (req.url === "/jwks") {
        jwksFetches++;
        res.end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
      } else {
        res.statusCode = 404;
        res.end("{}");
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    h = await createHarness({ oidc: oidcVerifier({ issuer, audience: "slipway", cooldownMs: 0 }) });
    await h.store.createApp(systemActor, { name: "owned", teamName: "payments", description: "" });
  });
  after(async () => {
    await h.dispose();
    await new Promise((resolve) => server.close(resolve));
  });

  function sign(
    key: Key,
    claims: {
      sub?: string;
      aud?: string;
      iss?: string;
      exp?: number | string;
      iat?: number;
      name?: string;
    } = {},
  ): Promise<string> {
    const jwt = new SignJWT({ name: claims.name ?? "Ada" })
      .setProtectedHeader({ alg: "RS256", kid: key.kid })
      .setSubject(claims.sub ?? "ada")
      .setIssuer(claims.iss ?? issuer)
      .setAudience(claims.aud ?? "slipway")
      .setIssuedAt(claims.iat)
      .setExpirationTime(claims.exp ?? "5m");
    return jwt.sign(key.privateKey);
  }

  async function whoami(token: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await h.call("GET", "/api/v1/whoami", { token });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  test("a valid token signs the user in, created on first sight with no team roles", async () => {
    const { status, body } = await whoami(await sign(first));
    assert.equal(status, 200);
    const user = body.user as { subject: string; displayName: string };
    assert.equal(user.subject, `${issuer}|ada`);
    assert.equal(user.displayName, "Ada");
    assert.deepEqual(body.memberships, []);
    // Not a member yet: the app is as invisible as a missing one.
    assert.equal((await h.call("GET", "/api/v1/apps/owned", { token: await sign(first) })).status, 404);
    const granted = await h.call("PUT", "/api/v1/teams/payments/members", {
      as: "admin",
      body: { subject: `${issuer}|ada`, role: "viewer" },
    });
    assert.equal(granted.status, 200);
    assert.equal((await h.call("GET", "/api/v1/apps/owned", { token: await sign(first) })).status, 200);
  });

  test("expired, wrong audience, wrong issuer, unknown key and forged signature are refused", async () => {
    const stranger = await newKey("k-unknown");
    const cases: [string, Promise<string>, RegExp][] = [
      ["expired", sign(first, { exp: Math.floor(Date.now() / 1000) - 60 }), /expired/],
      ["audience", sign(first, { aud: "someone-else" }), /"aud"/],
      ["issuer", sign(first, { iss: "https://evil.example" }), /"iss"/],
      ["unknown key", sign(stranger), /no key/],
    ];
    for (const [what, token, message] of cases) {
      const { status, body } = await whoami(await token);
      assert.equal(status, 401, what);
      assert.match((body.error as { message: string }).message, message, what);
    }
    const good = await sign(first);
    // A payload swapped under a genuine header and signature.
    const [header, , signature] = good.split(".");
    const payload = Buffer.from(
      JSON.stringify({ sub: "admin", iss: issuer, aud: "slipway", exp: 9e9 }),
    ).toString("base64url");
    const forged = `${header}.${payload}.${signature}`;
    assert.equal((await whoami(forged)).status, 401);
  });

  test("a token issued in the future is refused; a clock a little ahead is tolerated", async () => {
    const now = Math.floor(Date.now() / 1000);
    const future = await whoami(await sign(first, { iat: now + 3600, exp: now + 7200 }));
    assert.equal(future.status, 401);
    assert.match((future.body.error as { message: string }).message, /"iat" is in the future/);
    assert.equal((await whoami(await sign(first, { iat: now + 20 }))).status, 200);
  });

  test("the provider rotates its keys: new tokens verify, tokens of the retired key stop", async () => {
    const second = await newKey("k2");
    published = [second];
    const before = jwksFetches;
    assert.equal((await whoami(await sign(second))).status, 200, "the new key is fetched on first sight");
    assert.ok(jwksFetches > before);
    assert.equal((await whoami(await sign(first))).status, 401, "the retired key no longer verifies");
  });
});

describe("OIDC discovery that does not answer", () => {
  let silent: NetServer;
  const sockets = new Set<Socket>();
  let h: Harness;

  before(async () => {
    // Accepts connections and never says a word.
    silent = createNetServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const issuer = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    h = await createHarness({ oidc: oidcVerifier({ issuer, audience: "slipway", discoveryTimeoutMs: 300 }) });
  });
  after(async () => {
    await h.dispose();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  test("gives up after its timeout with a 503 that says so", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: "RS256" })
      .setSubject("ada")
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    const started = Date.now();
    const answer = await Promise.race([
      h.call("GET", "/api/v1/whoami", { token: jwt }),
      new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 5_000).unref()),
    ]);
    assert.notEqual(answer, "hung", "the request waited on the provider for 5 s and more");
    const response = answer as Response;
    assert.equal(response.status, 503);
    assert.match(await response.text(), /no answer within 300 ms/);
    assert.ok(Date.now() - started < 3_000);
  });
});
