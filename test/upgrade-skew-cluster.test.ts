/**
 * `slipway upgrade-check --cluster` on the real control plane: every node's kubelet against the
 * API server, now and after the target version, so nodes a rolling upgrade left behind are named.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { memoryIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import { peerPath } from "../src/testing/peers.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

test("upgrade-check --cluster names nodes left behind and those an upgrade would push out of the skew window", async () => {
  const kubeconfig = testKubeconfig();
  const kubectl = (args: string[], input?: string) =>
    execFileSync(peerPath("kubectl"), ["--kubeconfig", kubeconfig, ...args], {
      encoding: "utf8",
      ...(input ? { input } : {}),
    });
  const suffix = randomBytes(3).toString("hex");
  const nodes = { current: `skew-current-${suffix}`, behind: `skew-behind-${suffix}` };
  const node = (name: string, version: string) =>
    JSON.stringify({
      apiVersion: "v1",
      kind: "Node",
      // Tainted so no workload of another test lands on these simulated nodes.
      metadata: { name, annotations: { "kwok.x-k8s.io/node": "fake" }, labels: { type: "kwok" } },
      spec: { taints: [{ key: "slipway.dev/skew-test", effect: "NoSchedule" }] },
      status: { nodeInfo: { kubeletVersion: version } },
    });
  try {
    kubectl(["create", "-f", "-"], node(nodes.current, "v1.37.1"));
    kubectl(["create", "-f", "-"], node(nodes.behind, "v1.34.4"));
    const io = memoryIo();
    const code = await main(
      ["upgrade-check", "--to", "1.38", "--cluster", "--kubeconfig", kubeconfig, "--output", "json"],
      io,
    );
    assert.equal(code, 1, "a node outside the window after the upgrade fails the check");
    const body = JSON.parse(io.stdout()) as {
      skew: {
        serverVersion: string;
        nodes: { name: string; status: string; blocksTarget: boolean; message: string }[];
      };
    };
    assert.equal(body.skew.serverVersion, "v1.37.2");
    const byName = new Map(body.skew.nodes.map((n) => [n.name, n]));
    assert.deepEqual(
      [byName.get(nodes.current)?.status, byName.get(nodes.current)?.blocksTarget],
      ["current", false],
    );
    const behind = byName.get(nodes.behind);
    assert.equal(behind?.status, "behind");
    assert.equal(
      behind?.blocksTarget,
      true,
      "v1.34 under a 1.38 control plane would be 4 minors behind, one past the limit",
    );
    assert.match(behind?.message ?? "", /left behind: kubelet 1\.34 under API server 1\.37/);
    const text = memoryIo();
    await main(["upgrade-check", "--to", "1.38", "--cluster", "--kubeconfig", kubeconfig], text);
    assert.match(text.stdout(), new RegExp(`node ${nodes.behind}  kubelet v1\\.34\\.4: left behind`));
  } finally {
    kubectl(["delete", "node", nodes.current, nodes.behind, "--ignore-not-found"]);
  }
});
