/**
 * `slipway deploy` and `slipway diff` in-process against the real test control plane: a preview of
 * the cart example (it owns its namespace) goes through server-side apply, the rollout is waited
 * for, and a diff afterwards sees nothing to change, then exactly the image when it moves.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { memoryIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import { peerPath } from "../src/testing/peers.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

const REPO = "registry.example.com/commerce/cart";
const image = (hex: string) => `${REPO}@sha256:${hex.repeat(64)}`;
const examples = join(import.meta.dirname, "../examples");

function workspace(): { app: string; platform: string; target: string } {
  const kubeconfig = testKubeconfig();
  const context = String(
    (parse(readFileSync(kubeconfig, "utf8")) as { "current-context": string })["current-context"],
  );
  const dir = mkdtempSync(join(tmpdir(), "slipway-cli-cluster-"));
  const app = join(dir, "cart");
  cpSync(join(examples, "cart"), app, { recursive: true });
  const platform = join(dir, "slipway.platform.yaml");
  writeFileSync(
    platform,
    [
      "apiVersion: slipway.dev/v1",
      "kind: Platform",
      "clusters:",
      `  - { name: test, kubeconfig: { context: ${JSON.stringify(context)}, path: ${JSON.stringify(kubeconfig)} } }`,
      "channels:",
      "  - { name: develop, cluster: test, domain: develop.example.com }",
      "  - { name: stable, cluster: test, domain: example.com }",
      "previews: { cluster: test, domain: preview.example.com, ttl: 1h }",
      "teams:",
      "  - name: commerce",
      "",
    ].join("\n"),
  );
  return { app, platform, target: `preview:cli-${randomBytes(3).toString("hex")}` };
}

async function run(...argv: string[]) {
  const io = memoryIo({ env: { SOPS_AGE_KEY_FILE: join(examples, "demo-age-key.txt") } });
  const code = await main(argv, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

test("deploy --wait applies to the cluster and reports ready replicas; diff then sees nothing, then the image", async (t) => {
  const ws = workspace();
  const common = ["--app", ws.app, "--target", ws.target, "--platform", ws.platform];
  const namespace = `cart-pr-${ws.target.slice("preview:".length)}`;
  const kubectl = (...args: string[]) =>
    execFileSync(peerPath("kubectl"), ["--kubeconfig", testKubeconfig(), ...args], { encoding: "utf8" });
  t.after(() => kubectl("delete", "namespace", namespace, "--wait=false"));

  const deploy = await run("deploy", ...common, "--image", image("a"), "--wait");
  assert.equal(deploy.code, 0, `${deploy.stdout}\n${deploy.stderr}`);
  assert.match(
    deploy.stdout,
    /^deploying cart → preview-cli-[0-9a-f]{6} \(Kubernetes cluster https:\/\/127\.0\.0\.1:\d+\)/m,
  );
  assert.match(deploy.stdout, /^\[\d+\.\ds\] create Deployment\/cart-pr-cli-[0-9a-f]{6}\/cart$/m);
  assert.match(deploy.stdout, /^\[\d+\.\ds\] Deployment\/cart-pr-cli-[0-9a-f]{6}\/cart 1\/1 ready$/m);

  // The real kubectl sees the image Slipway applied, under Slipway's field manager.
  assert.equal(
    kubectl(
      "get",
      "deployment",
      "cart",
      "-n",
      namespace,
      "-o",
      "jsonpath={.spec.template.spec.containers[0].image}",
    ),
    image("a"),
  );
  assert.match(
    kubectl("get", "deployment", "cart", "-n", namespace, "--show-managed-fields", "-o", "yaml"),
    /manager: slipway/,
  );

  const same = await run("diff", ...common, "--image", image("a"), "--exit-code");
  assert.equal(
    same.code,
    0,
    `an unchanged render is no change on the cluster:\n${same.stdout}${same.stderr}`,
  );

  const moved = await run("diff", ...common, "--image", image("b"), "--exit-code");
  assert.equal(moved.code, 1, moved.stderr);
  const deploymentDiff = moved.stdout.split(/^(?=--- )/m).find((d) => d.includes("+++ b/Deployment/"));
  assert.ok(deploymentDiff, moved.stdout);
  assert.match(deploymentDiff, /^-\s+(- )?image: registry\.example\.com\/commerce\/cart@sha256:a{64}$/m);
  assert.match(deploymentDiff, /^\+\s+(- )?image: registry\.example\.com\/commerce\/cart@sha256:b{64}$/m);
  assert.doesNotMatch(moved.stdout, /managedFields|resourceVersion|creationTimestamp|applied-hash/);
});
