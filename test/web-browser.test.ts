/**
 * The status page in a real browser (Debian's Chromium, driven by playwright-core) against a real
 * `slipway serve --demo`, as a newcomer meets it: the address the server prints shows that it runs
 * and asks for a token; no app is named before one is pasted; with the printed token it shows the
 * demo apps and their channels; a description holding markup stays text.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

const repo = fileURLToPath(new URL("..", import.meta.url));
const chromiumPath = "/usr/bin/chromium";
const examples = join(repo, "examples");
/** Every example app is in the demo. */
const demoApps = readdirSync(examples, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(examples, d.name, "slipway.yaml")))
  .map((d) => d.name);
const channels = ["develop", "integration", "staging", "beta", "stable"];
const markup = `<script>window.owned = "script"</script><img src="x" onerror="window.owned = 'img'">`;

interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  readonly token: string;
  readonly stdout: string;
}

/** `slipway serve --demo` on a free port and a new data directory; resolves once it has printed. */
async function serve(dataDir: string): Promise<Served> {
  const child = spawn(
    process.execPath,
    [join(repo, "bin/slipway.js"), "serve", "--demo", "--data", dataDir, "--listen", "127.0.0.1:0"],
    { cwd: repo, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  return new Promise<Served>((resolve, reject) => {
    const timer = setInterval(() => {
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      const token = /(slw_[A-Za-z0-9_-]{43})/.exec(out)?.[1];
      // The engine deploys the demo's releases once the server listens: wait until it has.
      if (url && token && out.includes("slipway login") && /^demo: ready/m.test(err)) {
        clearInterval(timer);
        resolve({ child, url, token, stdout: out });
      }
    }, 50);
    child.once("exit", (code) => {
      clearInterval(timer);
      reject(new Error(`slipway serve exited with ${code}: ${err}`));
    });
  });
}

/** Debian's Chromium, or a failure that says how to get it: a missing browser is never a pass. */
async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    assert.fail(
      `the browser test needs Chromium at ${chromiumPath}: apt-get update && apt-get install -y chromium${
        process.env.CI === "true" ? " (CI: .ci/run installs it)" : ""
      }`,
    );
  }
  // Playwright gives each launch a new, empty profile directory. Without the network flags
  // Chromium reaches for Google's hosts at start, which a closed network refuses.
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

describe("the status page in Chromium against slipway serve --demo", () => {
  let dataDir: string;
  let served: Served;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const consoleLines: string[] = [];

  const api = async (path: string, init: RequestInit = {}) =>
    fetch(`${served.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${served.token}`, "content-type": "application/json" },
    });
  const appNames = () => page.locator("section.app h2").allTextContents();

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "slipway-web-"));
    served = await serve(dataDir);
    const created = await api("/api/v1/apps", {
      method: "POST",
      body: JSON.stringify({ name: "markup", team: "commerce", description: markup }),
    });
    assert.equal(created.status, 201, await created.text());
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    page.on("request", (request) => requests.push(request.url()));
    page.on("console", (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
    page.on("pageerror", (error) => consoleLines.push(`pageerror: ${error.message}`));
  });
  after(async () => {
    await browser?.close();
    if (served?.child.exitCode === null) {
      const exited = new Promise((resolve) => served.child.once("exit", resolve));
      served.child.kill("SIGTERM");
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("the server prints its address and says to open it and paste the token", () => {
    assert.ok(
      served.stdout.includes(`Open ${served.url} in a browser and paste the token`),
      `banner: ${served.stdout}`,
    );
  });

  test("without a token: running, how to log in, and not one app name", async () => {
    await page.goto(served.url);
    await page.locator('#health[data-state="ok"]').waitFor();
    assert.equal(await page.locator("#health").textContent(), "running, database answers");
    assert.equal(await page.locator("#signed-out h2").textContent(), "Not logged in");
    assert.ok(await page.locator("#token").isVisible());
    assert.ok(await page.locator("#signed-in").isHidden());
    const html = await page.content();
    for (const name of [...demoApps, "markup"]) assert.ok(!html.includes(name), `${name} is not in the page`);
    const asked = requests.map((url) => new URL(url).pathname);
    assert.ok(!asked.some((path) => path.startsWith("/api/")), `no API call without a token: ${asked}`);
  });

  test("with the printed token: the demo apps and, per channel, the release that runs there", async () => {
    await page.locator("#token").fill(served.token);
    await page.locator("#login button[type=submit]").click();
    await page.locator('section.app[data-app="rates-api"]').waitFor();
    assert.deepEqual(await appNames(), [...demoApps, "markup"].sort());
    assert.equal(await page.locator("#who").textContent(), "Bootstrap administrator");

    // The cart's matrix against the API's own answer, channel by channel.
    const deployments = (await (await api("/api/v1/apps/cart/deployments")).json()) as {
      items: { targetName: string; releaseId: string; status: string }[];
    };
    const rows = page.locator('section.app[data-app="cart"] table').first().locator("tbody tr");
    const matrix = new Map<string, string[]>();
    for (const row of await rows.all()) {
      const [channel, ...cells] = await row.locator("td").allTextContents();
      matrix.set(channel ?? "", cells);
    }
    for (const channel of channels) {
      const latest = deployments.items.find((d) => d.targetName === channel);
      assert.ok(latest, `the demo deployed cart to ${channel}`);
      const release = (await (await api(`/api/v1/releases/${latest.releaseId}`)).json()) as {
        imageDigest: string;
        commitSha: string;
      };
      const [releaseId, image, commit, status, age] = matrix.get(channel) ?? [];
      assert.equal(releaseId, latest.releaseId, channel);
      assert.equal(image, `${release.imageDigest.slice(0, 19)}…`, channel);
      assert.equal(commit, release.commitSha.slice(0, 12), channel);
      assert.equal(status, latest.status, channel);
      assert.match(age ?? "", /^\d+[smhd] ago$/, channel);
    }
    // rates-api's releases go as far as staging in the demo.
    const rates = page.locator('section.app[data-app="rates-api"] table').first().locator("tbody tr");
    const ratesBeta = rates.filter({ has: page.locator("td", { hasText: /^beta$/ }) });
    assert.deepEqual(
      (await ratesBeta.locator("td").allTextContents()).slice(1),
      ["not deployed"],
      "a channel without a deployment says so",
    );
    assert.equal(
      await page.locator('section.app[data-app="cart"] h3').nth(1).textContent(),
      "Releases, newest first",
    );
  });

  test("markup in a description is shown as text and never runs", async () => {
    assert.equal(await page.locator('section.app[data-app="markup"] .description').textContent(), markup);
    assert.equal(await page.evaluate(() => (globalThis as { owned?: string }).owned), undefined);
    assert.equal(await page.locator("img").count(), 0);
    assert.equal(await page.locator("main script").count(), 0);
  });

  test("the token lives in this tab's session storage only: no cookie, no URL carries it", async () => {
    assert.equal(await page.evaluate(() => sessionStorage.getItem("slipway.token")), served.token);
    assert.deepEqual(await page.context().cookies(), []);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.ok(!requests.some((url) => url.includes(served.token)), "no request URL carries the token");
    await page.reload();
    await page.locator('section.app[data-app="cart"]').waitFor();
    assert.deepEqual(await appNames(), [...demoApps, "markup"].sort(), "still logged in");
  });

  test("log out forgets the token and every app; a wrong token is refused and kept nowhere", async () => {
    await page.locator("#logout").click();
    await page.locator("#signed-out").waitFor();
    assert.deepEqual(await appNames(), []);
    assert.equal(await page.evaluate(() => sessionStorage.getItem("slipway.token")), null);

    await page.locator("#token").fill("slw_wrong");
    await page.locator("#login button[type=submit]").click();
    await page.locator("#message:not([hidden])").waitFor();
    assert.match((await page.locator("#message").textContent()) ?? "", /^The server refused the token: /);
    assert.ok(await page.locator("#signed-out").isVisible());
    assert.equal(await page.evaluate(() => sessionStorage.getItem("slipway.token")), null);
  });

  test("the page broke no rule of its Content-Security-Policy and threw nothing", () => {
    const problems = consoleLines.filter(
      (line) => /Content Security Policy|pageerror|TrustedHTML/i.test(line) && !line.includes("favicon"),
    );
    assert.deepEqual(problems, []);
  });
});
