/**
 * Signing in through a real OpenID provider (the zitadel/oidc example server, built by
 * `npm run tools -- oidc`): the authorization-code flow a browser would go through, then the ID
 * token it yields as the bearer credential of the Slipway API.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { z } from "zod";
import { defaultSessionMaxAgeSeconds, oidcVerifier } from "../src/server/auth/oidc.ts";
import { freePort } from "../src/testing/free-port.ts";
import { peerPath } from "../src/testing/peers.ts";
import { createHarness, type Harness } from "./support/api-harness.ts";

const discoverySchema = z.object({ authorization_endpoint: z.url(), token_endpoint: z.url() });
const tokensSchema = z.object({ id_token: z.string(), access_token: z.string() });

function locationOf(response: Response, base: string): URL {
  const location = response.headers.get("location");
  assert.ok(location, `expected a redirect, got ${response.status}`);
  return new URL(location, base);
}

describe("sign-in through a real OpenID provider", () => {
  let provider: ChildProcess;
  let issuer = "";
  let h: Harness;
  const callback = "http://127.0.0.1:1/callback"; // never called: the test reads the redirect itself

  before(async () => {
    const port = await freePort();
    issuer = `http://localhost:${port}/`;
    provider = spawn(peerPath("oidc-server"), [], {
      env: { ...process.env, PORT: String(port), REDIRECT_URI: callback },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    provider.stderr?.on("data", (chunk: Buffer) => {
      log += chunk.toString("utf8");
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ready = await fetch(`${issuer}.well-known/openid-configuration`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      assert.ok(
        Date.now() < deadline && provider.exitCode === null,
        `the OpenID provider did not start: ${log}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    h = await createHarness({ oidc: oidcVerifier({ issuer, audience: "web" }) });
  });
  after(async () => {
    provider.kill("SIGTERM");
    await h?.dispose();
  });

  async function logIn(username: string, password: string): Promise<z.infer<typeof tokensSchema>> {
    const discovery = discoverySchema.parse(
      await (await fetch(`${issuer}.well-known/openid-configuration`)).json(),
    );
    const authorize = new URL(discovery.authorization_endpoint);
    for (const [k, v] of Object.entries({
      client_id: "web",
      redirect_uri: callback,
      response_type: "code",
      scope: "openid profile email",
      state: "s1",
      nonce: "n1",
    }))
      authorize.searchParams.set(k, v);
    const toLogin = locationOf(await fetch(authorize, { redirect: "manual" }), issuer);
    const authRequestId = toLogin.searchParams.get("authRequestID");
    assert.ok(authRequestId, `the provider sends the browser to its login page: ${toLogin}`);
    const submitted = await fetch(new URL("/login/username", issuer), {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username, password, id: authRequestId }),
    });
    let next = locationOf(submitted, issuer);
    while (!next.href.startsWith(callback))
      next = locationOf(await fetch(next, { redirect: "manual" }), issuer);
    assert.equal(next.searchParams.get("state"), "s1");
    const code = next.searchParams.get("code");
    assert.ok(code);
    const token = await fetch(discovery.token_endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from("web:secret").toString("base64")}`,
      },
      body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: callback }),
    });
    assert.equal(token.status, 200, await token.clone().text());
    return tokensSchema.parse(await token.json());
  }

  test("the ID token from a real login is accepted; the user appears with the provider's subject", async () => {
    const tokens = await logIn("test-user@localhost", "verysecure");
    const response = await h.call("GET", "/api/v1/whoami", { token: tokens.id_token });
    assert.equal(response.status, 200, await response.clone().text());
    const body = (await response.json()) as { user: { subject: string; displayName: string } };
    assert.equal(body.user.subject, `${issuer}|id1`);
    // This provider keeps profile claims out of the ID token (userinfo only), so the name falls
    // back to the subject.
    assert.equal(body.user.displayName, "id1");
  });

  test("the provider's opaque access token is not an ID token for Slipway's audience", async () => {
    const tokens = await logIn("test-user@localhost", "verysecure");
    assert.equal((await h.call("GET", "/api/v1/whoami", { token: tokens.access_token })).status, 401);
  });

  test("an API token minted with a sign-in dies with the sign-in's session, whatever it asked for", async () => {
    const tokens = await logIn("test-user@localhost", "verysecure");
    const minted = await h.call("POST", "/api/v1/tokens", {
      token: tokens.id_token,
      body: { name: "ci", expiresInDays: 90 },
    });
    assert.equal(minted.status, 201, await minted.clone().text());
    const { token } = (await minted.json()) as { token: { expiresAt: string } };
    const iat = Number(
      JSON.parse(Buffer.from(tokens.id_token.split(".")[1] ?? "", "base64url").toString()).iat,
    );
    assert.equal(Date.parse(token.expiresAt), (iat + defaultSessionMaxAgeSeconds) * 1000);
  });

  test("once the session's maximum age is over, its ID token and the tokens it minted stop", async () => {
    const short = await createHarness({
      // No clock skew allowance: provider and server share this machine's clock, and the
      // allowance would add a minute to a two-second session.
      oidc: oidcVerifier({ issuer, audience: "web", sessionMaxAgeSeconds: 2, clockSkewSeconds: 0 }),
    });
    try {
      const tokens = await logIn("test-user@localhost", "verysecure");
      const minted = await short.call("POST", "/api/v1/tokens", {
        token: tokens.id_token,
        body: { name: "ci", expiresInDays: 90 },
      });
      assert.equal(minted.status, 201, await minted.clone().text());
      const { token, secret } = (await minted.json()) as { token: { expiresAt: string }; secret: string };
      assert.equal((await short.call("GET", "/api/v1/whoami", { token: secret })).status, 200);
      // The provider no longer vouches for the user after this (removed, or simply not asked
      // again): nothing minted from the old sign-in may go on working.
      await new Promise((resolve) => setTimeout(resolve, Date.parse(token.expiresAt) - Date.now() + 1_100));
      const apiToken = await short.call("GET", "/api/v1/whoami", { token: secret });
      assert.equal(apiToken.status, 401);
      assert.match(await apiToken.text(), /expired/);
      const idToken = await short.call("GET", "/api/v1/whoami", { token: tokens.id_token });
      assert.equal(idToken.status, 401);
      assert.match(await idToken.text(), /older than the session's maximum age; log in again/);
    } finally {
      await short.dispose();
    }
  });

  test("a discovery document that names another issuer is refused", async () => {
    // Same provider, reached under another name: its document names the issuer it really is.
    const elsewhere = issuer.replace("localhost", "127.0.0.1");
    const verify = oidcVerifier({ issuer: elsewhere, audience: "web" });
    const tokens = await logIn("test-user@localhost", "verysecure");
    await assert.rejects(verify(tokens.id_token), (error: unknown) => {
      assert.equal((error as { code?: string }).code, "SLIPWAY_E_UNAVAILABLE", String(error));
      assert.match(
        String(error),
        /names the issuer "http:\/\/localhost:\d+\/", not the configured "http:\/\/127\.0\.0\.1:/,
      );
      return true;
    });
  });
});
