/**
 * The demo's releases are made from git and moved by the server's engine and promotions, through
 * the one deployment use case and the channels' gates: a channel's enforced policy stops an app at
 * its gate (nothing of it is written there), and the examples' secrets are decrypted with the demo
 * key and committed to the GitOps repository SOPS-encrypted again.
 */
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { type RunningServer, startServer } from "../src/server/main.ts";

const repo = resolve(import.meta.dirname, "..");

/** The committed example apps, their platform file and demo key, plus an app that leaks a password. */
function examplesWithLeakyApp(): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-demo-examples-"));
  for (const entry of ["cart", "mailer", "rates-api", "slipway.platform.yaml", "demo-age-key.txt"]) {
    cpSync(join(repo, "examples", entry), join(dir, entry), { recursive: true });
  }
  mkdirSync(join(dir, "leaky"));
  writeFileSync(
    join(dir, "leaky/slipway.yaml"),
    [
      "apiVersion: slipway.dev/v1",
      "kind: App",
      "name: leaky",
      "team: platform",
      "image: { repository: registry.example.com/platform/leaky, tag: '1.0.0' }",
      "ports: [{ name: http, port: 8080 }]",
      "env: { DATABASE_PASSWORD: hunter2-in-plain-sight }",
      "",
    ].join("\n"),
  );
  return dir;
}

function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => !f.split("/").includes(".git"))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

describe("serve --demo deploys through the deployment use case", () => {
  let server: RunningServer;
  let dataDir: string;
  const logs: string[] = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "slipway-demo-data-"));
    server = await startServer({
      dataDir,
      listen: "127.0.0.1:0",
      demo: true,
      examplesDir: examplesWithLeakyApp(),
      env: {},
      log: (line) => logs.push(line),
    });
    await server.demo;
  });
  after(() => server.close());

  test("an app the policy blocks is committed where it was queued as new, then held at the next channel's policy gate with the findings", async () => {
    const { items } = await server.store.listDeployments({ appName: "leaky" }, { limit: 50 });
    // A new release deploys to develop, whose policy only warns; a promotion passes the policy
    // gate only if the release would pass the channel's policy in enforce mode.
    const events = await Promise.all(items.map((d) => server.store.deploymentEvents(d.id)));
    assert.deepEqual(
      items.map((d) => `${d.targetName}:${d.status}`),
      ["develop:available"],
      events
        .flat()
        .map((e) => `${e.status}: ${e.message}`)
        .join("\n"),
    );
    assert.ok(
      logs.some((l) =>
        /^demo: leaky → integration: policy fail: \d+ findings? would block integration in enforce mode: .*DATABASE_PASSWORD/.test(
          l,
        ),
      ),
      logs.join("\n"),
    );
    const written = filesBelow(join(dataDir, "gitops")).map((f) => relative(join(dataDir, "gitops"), f));
    assert.ok(
      written.some((f) => f.startsWith("develop/leaky/")),
      written.join("\n"),
    );
    assert.ok(!written.some((f) => f.startsWith("integration/leaky/")), written.join("\n"));
    assert.ok(
      written.some((f) => f.startsWith("staging/cart/")),
      written.join("\n"),
    );
  });

  test("releases are read from the demo's git repository at their commits, with a snapshot", async () => {
    const { items } = await server.store.listReleases("cart", { limit: 10 });
    assert.equal(items.length, 2);
    for (const release of items) {
      assert.equal(release.repository, join(dataDir, "demo-repository"));
      assert.equal(release.path, "cart");
      assert.match(release.commitAuthor ?? "", /^Demo Developer </);
      const snapshot = await server.store.getReleaseSnapshot(release.id);
      assert.deepEqual(snapshot.files.map((f) => f.path).sort(), [
        "secrets/develop.enc.yaml",
        "secrets/stable.enc.yaml",
        "slipway.yaml",
      ]);
    }
  });

  test("the examples' Secrets are in the GitOps repository, their values SOPS-encrypted for the platform's recipient", () => {
    const secrets = filesBelow(join(dataDir, "gitops"))
      .map((f) => ({ f, text: readFileSync(f, "utf8") }))
      .filter(({ text }) => /^kind: Secret$/m.test(text));
    const cart = secrets.filter(({ f }) => f.endsWith("develop/cart/secret-cart-app.yaml"));
    assert.ok(cart.length > 0, "cart's Secret is committed to develop");
    for (const { f, text } of secrets) {
      assert.match(text, /^sops:$/m, `${f} is SOPS-encrypted`);
      assert.match(text, /age145939ncpxn7uj3fyf797r647mxzkrg2cs57jaxulucmrdm4m6ycqce5afz/, f);
      // Values were decrypted (the source hash is recorded) and are committed only encrypted.
      assert.match(text, /slipway\.dev\/secret-source-sha256/, f);
      const data = text.slice(text.indexOf("\ndata:"), text.indexOf("\nsops:"));
      assert.match(data, /ENC\[AES256_GCM,data:/, f);
      assert.doesNotMatch(data, /: (?!ENC\[)[A-Za-z0-9+/=]{8,}$/m, `${f} holds a value in the clear`);
    }
  });
});
