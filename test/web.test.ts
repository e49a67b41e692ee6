/**
 * The status page, in-process: `/` is an HTML page under a strict Content-Security-Policy, its
 * script and stylesheet are served with their types, the page carries no data (an anonymous caller
 * learns nothing about apps from it), and everything else is still the API's JSON 404.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { systemActor } from "../src/store/store.ts";
import { createHarness, type Harness } from "./support/api-harness.ts";

const version = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

describe("the status page at /", () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
    await h.store.createApp(systemActor, {
      name: "ledger-secret",
      teamName: "payments",
      description: "only payments may know",
    });
  });
  after(() => h.dispose());

  test("/ is HTML under a CSP that allows only this origin's script, no inline code, no framing", async () => {
    const page = await h.call("GET", "/");
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    const csp = (page.headers.get("content-security-policy") ?? "").split(";").map((d) => d.trim());
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "object-src 'none'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ]) {
      assert.ok(csp.includes(directive), `CSP has ${directive}: ${csp.join("; ")}`);
    }
    assert.ok(!csp.some((d) => d.includes("unsafe")), "nothing unsafe is allowed");
    assert.equal(page.headers.get("referrer-policy"), "no-referrer");
    // The API's own headers stay on the page too.
    assert.equal(page.headers.get("x-content-type-options"), "nosniff");
    assert.equal(page.headers.get("cache-control"), "no-store");

    const html = await page.text();
    assert.match(html, new RegExp(`<span id="version">${version.replaceAll(".", "\\.")}</span>`));
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
    assert.deepEqual(
      scripts.map((s) => [/\bsrc="\/ui\/app\.js"/.test(s[0]), s[1]]),
      [[true, ""]],
      "one script, from /ui/, with no inline code",
    );
    assert.doesNotMatch(html, /\son[a-z]+=|\sstyle=|<style/i, "no inline handlers or styles");
  });

  test("the script and the stylesheet are served under /ui/ with their types and the same headers", async () => {
    for (const [path, type] of [
      ["/ui/app.js", "text/javascript; charset=utf-8"],
      ["/ui/style.css", "text/css; charset=utf-8"],
    ] as const) {
      const response = await h.call("GET", path);
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get("content-type"), type, path);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff", path);
      assert.ok((await response.text()).length > 100, path);
    }
    const script = await (await h.call("GET", "/ui/app.js")).text();
    assert.doesNotMatch(script, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, "text only");
  });

  test("the page answers the same to everyone and names no app, with or without a token", async () => {
    const anonymous = await h.call("GET", "/");
    const admin = await h.call("GET", "/", { as: "platform-admin" });
    const bodies = [await anonymous.text(), await admin.text()];
    assert.equal(bodies[0], bodies[1]);
    for (const path of ["/ui/app.js", "/ui/style.css"]) bodies.push(await (await h.call("GET", path)).text());
    for (const body of bodies) assert.ok(!body.includes("ledger-secret"), "no app name in the page's files");
  });

  test("any other path is still the API's JSON 404, under /api and /ui alike", async () => {
    for (const path of ["/api/v1/nope", "/ui/nope.js", "/ui/../package.json", "/index.html"]) {
      const response = await h.call("GET", path);
      assert.equal(response.status, 404, path);
      assert.equal(response.headers.get("content-type"), "application/json", path);
      const body = (await response.json()) as { error: { code: string } };
      assert.equal(body.error.code, "SLIPWAY_E_NOT_FOUND", path);
      assert.equal(response.headers.get("content-security-policy"), null, path);
    }
    const apps = await h.call("GET", "/api/v1/apps");
    assert.equal(apps.status, 401, "the API still wants a token");
  });
});
