import assert from "node:assert/strict";
import { test } from "node:test";
import { memoryIo } from "../io.ts";
import { main } from "../main.ts";

const repo = new URL("../../../", import.meta.url).pathname;
const old = [
  "apiVersion: extensions/v1beta1",
  "kind: Ingress",
  "metadata: { name: web, namespace: shop }",
  "---",
  "apiVersion: autoscaling/v2beta2",
  "kind: HorizontalPodAutoscaler",
  "metadata: { name: web, namespace: shop }",
  "---",
  "apiVersion: v1",
  "kind: Endpoints",
  "metadata: { name: legacy, namespace: shop }",
  "---",
  "apiVersion: apps/v1",
  "kind: Deployment",
  "metadata: { name: web, namespace: shop }",
].join("\n");

async function run(argv: string[], stdin?: string) {
  const io = memoryIo({ cwd: repo, ...(stdin === undefined ? {} : { stdin }) });
  const code = await main(argv, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

test("upgrade-check lists removed and deprecated API versions with replacement and removal release", async () => {
  const { code, out } = await run(["upgrade-check", "--to", "1.25", "-"], old);
  assert.equal(code, 1);
  assert.match(
    out,
    /^✖ removed {4}Ingress\/shop\/web {2}extensions\/v1beta1 removed in 1\.22; use networking\.k8s\.io\/v1$/m,
  );
  assert.match(
    out,
    /^⚠ deprecated HorizontalPodAutoscaler\/shop\/web {2}autoscaling\/v2beta2 deprecated since 1\.23, removed in 1\.26; use autoscaling\/v2$/m,
  );
  assert.doesNotMatch(out, /Endpoints/); // deprecated only from 1.33
  assert.match(out, /4 objects checked against Kubernetes 1\.25: 1 on removed APIs, 1 on deprecated APIs/);
});

test("upgrade-check --output json for v1.37 and exit 0 when only deprecations remain", async () => {
  const { code, out } = await run(
    ["upgrade-check", "--to", "v1.37.0", "--output", "json", "-"],
    old.split("---")[2],
  );
  assert.equal(code, 0);
  const report = JSON.parse(out) as {
    target: string;
    removed: number;
    uses: { object: string; replacement: string }[];
  };
  assert.equal(report.target, "1.37");
  assert.deepEqual(report.uses, [
    {
      object: "Endpoints/shop/legacy",
      apiVersion: "v1",
      kind: "Endpoints",
      status: "deprecated",
      deprecatedIn: "1.33",
      replacement: "discovery.k8s.io/v1 (EndpointSlice)",
    },
  ]);
});

test("upgrade-check on an app renders every channel; a bad version is an input error", async () => {
  const ok = await run([
    "upgrade-check",
    "--to",
    "1.37",
    "--app",
    "examples/cart",
    "--platform",
    "examples/slipway.platform.yaml",
  ]);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /: 0 on removed APIs, 0 on deprecated APIs/);
  const bad = await run(["upgrade-check", "--to", "latest", "-"], old);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--to: "latest" is not a Kubernetes version/);
});
