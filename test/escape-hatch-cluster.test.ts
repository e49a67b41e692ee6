/**
 * The escape hatch on the real test control plane: `slipway deploy` applies an app's manifests
 * (with the app's labels, in its namespace) and its patched objects, and a manifest taken out of
 * slipway.yaml is pruned by the next `deploy --prune`.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { memoryIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import { peerPath } from "../src/testing/peers.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

const examples = join(import.meta.dirname, "../examples");
const IMAGE = `registry.example.com/commerce/cart@sha256:${"e".repeat(64)}`;

const EXTRAS = `
manifests:
  extra:
    apiVersion: v1
    kind: ConfigMap
    metadata: { name: cart--extra }
    data: { nginx.conf: "worker_processes 2;" }
patches:
  aliases:
    target: { kind: Deployment, name: cart }
    strategicMerge:
      spec: { template: { spec: { hostAliases: [{ ip: 10.0.0.1, hostnames: [db.local] }] } } }
`;

test("deploy applies manifests and patches, and prunes a manifest taken out", async (t) => {
  const kubeconfig = testKubeconfig();
  const context = String(
    (parse(readFileSync(kubeconfig, "utf8")) as { "current-context": string })["current-context"],
  );
  const dir = mkdtempSync(join(tmpdir(), "slipway-escape-hatch-"));
  const app = join(dir, "cart");
  cpSync(join(examples, "cart"), app, { recursive: true });
  const spec = join(app, "slipway.yaml");
  const original = readFileSync(spec, "utf8");
  appendFileSync(spec, EXTRAS);
  const platform = join(dir, "slipway.platform.yaml");
  writeFileSync(
    platform,
    `apiVersion: slipway.dev/v1
kind: Platform
clusters:
  - { name: test, kubeconfig: { context: ${JSON.stringify(context)}, path: ${JSON.stringify(kubeconfig)} } }
channels:
  - { name: develop, cluster: test, domain: develop.example.com }
  - { name: stable, cluster: test, domain: example.com }
previews: { cluster: test, domain: preview.example.com, ttl: 1h }
`,
  );
  const branch = `hatch-${randomBytes(3).toString("hex")}`;
  const namespace = `cart-pr-${branch}`;
  const kubectl = (...args: string[]) =>
    execFileSync(peerPath("kubectl"), ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8" });
  t.after(() => kubectl("delete", "namespace", namespace, "--wait=false"));
  const deploy = async (...extra: string[]) => {
    const io = memoryIo({ env: { SOPS_AGE_KEY_FILE: join(examples, "demo-age-key.txt") } });
    const code = await main(
      [
        "deploy",
        "--app",
        app,
        "--target",
        `preview:${branch}`,
        "--platform",
        platform,
        "--image",
        IMAGE,
        ...extra,
      ],
      io,
    );
    assert.equal(code, 0, `${io.stdout()}\n${io.stderr()}`);
  };

  await deploy();
  const extra = JSON.parse(kubectl("get", "configmap", "cart--extra", "-n", namespace, "-o", "json")) as {
    metadata: { labels: Record<string, string> };
    data: Record<string, string>;
  };
  assert.equal(extra.data["nginx.conf"], "worker_processes 2;");
  assert.equal(extra.metadata.labels["slipway.dev/app"], "cart");
  assert.equal(
    kubectl(
      "get",
      "deployment",
      "cart",
      "-n",
      namespace,
      "-o",
      "jsonpath={.spec.template.spec.hostAliases[0].ip}",
    ),
    "10.0.0.1",
  );

  writeFileSync(spec, original);
  await deploy("--prune");
  const left = kubectl("get", "configmap", "-n", namespace, "-o", "name");
  assert.doesNotMatch(left, /configmap\/cart--extra/, "the manifest taken out is pruned");
  assert.equal(
    kubectl("get", "deployment", "cart", "-n", namespace, "-o", "jsonpath={.spec.template.spec.hostAliases}"),
    "",
    "the patch taken out is undone",
  );
});
