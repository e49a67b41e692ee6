/**
 * Slipway's own Helm export, through the real helm: `slipway export helm` writes a chart, helm v3
 * templates it per channel, and the output passes every rule in enforce mode — the same verdict
 * `slipway check --app` gives, reached through the tool people already use.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";
import { layerToolPath } from "../testing/layer-tools.ts";
import { policyGate } from "./gate.ts";
import { parseManifests } from "./manifests.ts";

const repo = new URL("../../", import.meta.url).pathname;
const platform = {
  clusters: [{ name: "local" }, { name: "production", kubernetesVersion: "1.37" }],
  channels: [
    { name: "develop", cluster: "local" },
    { name: "stable", cluster: "production", production: true, policy: { mode: "enforce" as const } },
  ],
};

test("helm template of Slipway's exported charts passes every rule in enforce mode", async () => {
  const helm = layerToolPath("helm");
  const apps = { cart: "commerce/cart", mailer: "platform/mailer", "rates-api": "finance/rates-api" };
  for (const [app, repository] of Object.entries(apps)) {
    const out = join(mkdtempSync(join(tmpdir(), "slipway-export-")), app);
    const io = memoryIo({ cwd: repo });
    assert.equal(
      await main(
        [
          "export",
          "helm",
          "--app",
          `examples/${app}`,
          "--platform",
          "examples/slipway.platform.yaml",
          "--out",
          out,
        ],
        io,
      ),
      0,
      io.stderr(),
    );
    for (const channel of ["develop", "stable"]) {
      const image = `registry.example.com/${repository}@sha256:${"ab".repeat(32)}`;
      const yaml = execFileSync(
        helm,
        ["template", app, out, "-f", join(out, `values-${channel}.yaml`), "--set", `image=${image}`],
        { encoding: "utf8" },
      );
      const objects = parseManifests(yaml, `${app}-${channel}`).map((s) => s.object);
      assert.ok(objects.length >= 4, `${app} ${channel}: helm rendered ${objects.length} objects`);
      const verdict = policyGate({
        objects,
        platform,
        target: { kind: "channel", name: channel },
        today: "2026-11-23",
        overrides: { mode: "enforce" },
      });
      assert.deepEqual(
        verdict.findings.map((f) => `${f.ruleId} ${f.object} ${f.path}: ${f.message}`),
        [],
        `${app} ${channel}`,
      );
    }
  }
});
