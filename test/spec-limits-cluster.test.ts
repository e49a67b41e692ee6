/**
 * The limits `slipway validate` enforces are the API server's own: a spec whose config files hold
 * exactly 1 MiB is accepted by both, one byte more is refused by both; a container whose limit is
 * below its request is refused by both. Checked with a server-side dry run on the real control plane.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { KubeObject } from "../src/core/kube-object.ts";
import { render } from "../src/render/render.ts";
import { defaultPlatform, parseAppSpec } from "../src/spec/parse.ts";
import { peerPath } from "../src/testing/peers.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

const kubeconfig = testKubeconfig();
const platform = defaultPlatform();
const dir = mkdtempSync(join(tmpdir(), "slipway-limits-"));

/** The API server's verdict on `object` in namespace default, without storing it. */
function serverAccepts(object: KubeObject): boolean {
  const file = join(dir, `${object.kind}.json`);
  writeFileSync(file, JSON.stringify({ ...object, metadata: { ...object.metadata, namespace: "default" } }));
  try {
    execFileSync(
      peerPath("kubectl"),
      ["--kubeconfig", kubeconfig, "create", "--dry-run=server", "-f", file],
      {
        stdio: "pipe",
      },
    );
    return true;
  } catch {
    return false;
  }
}

/** Slipway's verdict, and the object it renders when it accepts (else the object from a valid twin). */
function slipway(body: string, twin: string): { accepts: boolean; object: (kind: string) => KubeObject } {
  const head = `apiVersion: slipway.dev/v1\nkind: App\nname: limits\nteam: t\nimage: { repository: registry.example.com/limits, tag: "1" }\n`;
  let accepts = true;
  try {
    parseAppSpec(head + body, "slipway.yaml", platform);
  } catch {
    accepts = false;
  }
  const app = parseAppSpec(head + (accepts ? body : twin), "slipway.yaml", platform);
  const { objects } = render({ app, platform, target: "develop" });
  return { accepts, object: (kind) => objects.find((o) => o.kind === kind)! };
}

test("config files: 1 MiB of values in all is the line, for Slipway as for the API server", () => {
  for (const bytes of [1024 * 1024, 1024 * 1024 + 1]) {
    const half = Math.floor(bytes / 2);
    const files = (a: number, b: number) =>
      `configFiles:\n  - { path: /a, content: "${"x".repeat(a)}" }\n  - { path: /b, content: "${"y".repeat(b)}" }\n`;
    const verdict = slipway(files(half, bytes - half), files(half, 1));
    const configMap = verdict.object("ConfigMap");
    if (!verdict.accepts) (configMap.data as Record<string, string>).b = "y".repeat(bytes - half);
    assert.equal(verdict.accepts, bytes <= 1024 * 1024, `Slipway at ${bytes} bytes`);
    assert.equal(serverAccepts(configMap), verdict.accepts, `the API server at ${bytes} bytes`);
  }
});

test("a limit below the request: refused by Slipway as by the API server", () => {
  const below = "resources:\n  requests: { cpu: 500m, memory: 1Gi }\n  limits: { cpu: 250m, memory: 1Gi }\n";
  const verdict = slipway(
    below,
    "resources:\n  requests: { cpu: 250m, memory: 1Gi }\n  limits: { cpu: 250m, memory: 1Gi }\n",
  );
  assert.equal(verdict.accepts, false);
  const deployment = verdict.object("Deployment");
  const pod = (deployment.spec as { template: { spec: { containers: { resources: unknown }[] } } }).template
    .spec;
  pod.containers[0]!.resources = {
    requests: { cpu: "500m", memory: "1Gi" },
    limits: { cpu: "250m", memory: "1Gi" },
  };
  assert.equal(serverAccepts(deployment), false);
});
