/**
 * `slipway deploy` and `slipway diff` in-process against the real test control plane: a preview of
 * the cart example (it owns its namespace) goes through server-side apply, the rollout is waited
 * for, and a diff afterwards sees nothing to change, then exactly the image when it moves. A
 * revision that cannot progress fails the deploy, and with --rollback-on-failure is rolled back.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse, stringify } from "yaml";
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

type Spec = Record<string, unknown> & { environments: Record<string, Record<string, unknown>> };

/** Rewrites the workspace's slipway.yaml: `change` gets the parsed spec to edit. */
function editSpec(app: string, change: (spec: Spec) => void): void {
  const file = join(app, "slipway.yaml");
  const spec = parse(readFileSync(file, "utf8")) as Spec;
  change(spec);
  writeFileSync(file, stringify(spec));
}

/** Revision 1: the cart preview, without a NetworkPolicy. */
const revision1 = (spec: Spec) => {
  spec.environments.preview = { ...spec.environments.preview, networkPolicy: { enabled: false } };
};

/**
 * Revision 2 cannot progress: its pods ask for more CPU than any node has, so they stay Pending
 * until the progress deadline passes. It also adds a NetworkPolicy revision 1 did not have.
 */
const revision2 = (spec: Spec) => {
  const { networkPolicy: _dropped, ...preview } = spec.environments.preview ?? {};
  spec.environments.preview = {
    ...preview,
    resources: { requests: { cpu: "1000" } },
    rollout: { progressDeadlineSeconds: 5 },
  };
};

function clusterKubectl(...args: string[]): string {
  return execFileSync(peerPath("kubectl"), ["--kubeconfig", testKubeconfig(), ...args], { encoding: "utf8" });
}

/** What kubectl lists of the app in its namespace: `kind/name`, sorted. */
function listed(namespace: string): string[] {
  const kinds =
    "serviceaccounts,configmaps,secrets,services,deployments.apps,ingresses.networking.k8s.io,networkpolicies.networking.k8s.io,horizontalpodautoscalers.autoscaling,poddisruptionbudgets.policy";
  const out = JSON.parse(
    clusterKubectl("get", kinds, "-n", namespace, "-l", "slipway.dev/app=cart", "-o", "json"),
  ) as { items: { kind: string; metadata: { name: string } }[] };
  return out.items.map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

const deploymentOf = (namespace: string) =>
  JSON.parse(clusterKubectl("get", "deployment", "cart", "-n", namespace, "-o", "json")) as {
    spec: { template: { spec: { containers: { image: string; resources: unknown }[] } } };
    status: { availableReplicas?: number; updatedReplicas?: number };
  };

test("deploy --wait --rollback-on-failure: a revision that cannot progress fails, naming its pods, and revision 1 is back", async (t) => {
  const ws = workspace();
  const common = ["--app", ws.app, "--target", ws.target, "--platform", ws.platform];
  const namespace = `cart-pr-${ws.target.slice("preview:".length)}`;
  t.after(() => clusterKubectl("delete", "namespace", namespace, "--wait=false"));

  editSpec(ws.app, revision1);
  const first = await run("deploy", ...common, "--image", image("a"), "--wait", "--rollback-on-failure");
  assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`);
  const objects1 = listed(namespace);
  assert.ok(!objects1.some((o) => o.startsWith("NetworkPolicy/")), objects1.join(", "));
  const template1 = deploymentOf(namespace).spec.template;

  editSpec(ws.app, revision2);
  const failed = await run("deploy", ...common, "--image", image("b"), "--wait", "--rollback-on-failure");
  assert.equal(failed.code, 1, `${failed.stdout}\n${failed.stderr}`);
  assert.match(
    failed.stderr,
    new RegExp(`^error: rollout of Deployment/${namespace}/cart failed \\(ProgressDeadlineExceeded`, "m"),
  );
  assert.match(
    failed.stderr,
    /^ {2}- pod cart-[a-z0-9]+-[a-z0-9]+: PodScheduled=False \(Unschedulable\): .*Insufficient cpu/m,
  );
  // Every object carries the image's version label, so revision 2 changed them all and all are restored.
  const rolledBackLine = new RegExp(
    `^Rolled back to the previously applied revision of cart in ${ws.target.replace(":", "-")}: restored (.*); removed NetworkPolicy/${namespace}/cart \\(added by the failed revision\\)\\.$`,
    "m",
  ).exec(failed.stderr);
  assert.ok(rolledBackLine, failed.stderr);
  const restored = rolledBackLine[1] ?? "";
  assert.ok(restored.split(", ").includes(`Deployment/${namespace}/cart`), restored);
  // The progress lines show the failure, then the rollback's own work.
  assert.match(
    failed.stdout,
    /^\[\d+\.\ds\] rollout failed \(ProgressDeadlineExceeded: .*\); rolling back to the previous revision \(\d+ objects\)$/m,
  );
  const rollbackAt = failed.stdout.indexOf("rolling back to the previous revision");
  assert.match(
    failed.stdout.slice(rollbackAt),
    new RegExp(`^\\[\\d+\\.\\ds\\] delete NetworkPolicy/${namespace}/cart$`, "m"),
  );
  assert.match(
    failed.stdout.slice(rollbackAt),
    new RegExp(`^\\[\\d+\\.\\ds\\] Deployment/${namespace}/cart 1/1 ready$`, "m"),
  );

  // kubectl sees revision 1: its pod template, its objects and nothing revision 2 added.
  const after = deploymentOf(namespace);
  assert.deepEqual(after.spec.template, template1);
  assert.equal(after.spec.template.spec.containers[0]?.image, image("a"));
  assert.equal(after.status.availableReplicas, 1);
  assert.equal(after.status.updatedReplicas, 1);
  assert.deepEqual(listed(namespace), objects1);
  editSpec(ws.app, (spec) => {
    const { resources: _r, rollout: _o, ...preview } = spec.environments.preview ?? {};
    spec.environments.preview = preview;
    revision1(spec);
  });
  const diff = await run("diff", ...common, "--image", image("a"), "--prune", "--exit-code");
  assert.equal(
    diff.code,
    0,
    `revision 1's render finds the cluster as it left it:\n${diff.stdout}${diff.stderr}`,
  );

  // --output json: the outcome as data, still a failure.
  editSpec(ws.app, revision2);
  const json = await run(
    "deploy",
    ...common,
    "--image",
    image("b"),
    "--wait",
    "--rollback-on-failure",
    "--output",
    "json",
  );
  assert.equal(json.code, 1, json.stderr);
  const outcome = JSON.parse(json.stdout) as Record<string, unknown>;
  assert.equal(outcome.failed, true);
  assert.equal(outcome.rolledBack, true);
  assert.equal(outcome.reason, "ProgressDeadlineExceeded");
  assert.equal(outcome.ref, `Deployment/${namespace}/cart`);
  const rollback = outcome.rollback as { restored: string[]; removed: string[] };
  assert.ok(rollback.restored.includes(`Deployment/${namespace}/cart`), rollback.restored.join(", "));
  assert.deepEqual(rollback.removed, [`NetworkPolicy/${namespace}/cart`]);
  assert.match(String(outcome.message), /progress/i);
  assert.match(json.stderr, /^Rolled back to the previously applied revision/m);
  assert.equal(deploymentOf(namespace).spec.template.spec.containers[0]?.image, image("a"));
});

test("a first deploy that fails has no previous revision: it is reported so and left in place", async (t) => {
  const ws = workspace();
  const common = ["--app", ws.app, "--target", ws.target, "--platform", ws.platform];
  const namespace = `cart-pr-${ws.target.slice("preview:".length)}`;
  t.after(() => clusterKubectl("delete", "namespace", namespace, "--wait=false"));

  editSpec(ws.app, revision2);
  const failed = await run("deploy", ...common, "--image", image("c"), "--wait", "--rollback-on-failure");
  assert.equal(failed.code, 1, `${failed.stdout}\n${failed.stderr}`);
  assert.match(failed.stderr, /^error: rollout of Deployment\/.* failed \(ProgressDeadlineExceeded/m);
  assert.match(
    failed.stderr,
    new RegExp(
      `^Not rolled back: there is no previous revision of cart in ${ws.target.replace(":", "-")} `,
      "m",
    ),
  );
  assert.doesNotMatch(failed.stdout, /rolling back/);
  const left = deploymentOf(namespace);
  assert.equal(left.spec.template.spec.containers[0]?.image, image("c"));
  assert.deepEqual(left.spec.template.spec.containers[0]?.resources, {
    requests: { cpu: "1k", memory: "256Mi" },
    limits: { memory: "512Mi" },
  });
  assert.ok(listed(namespace).includes("NetworkPolicy/cart"), "revision 2's objects stay");
});

test("deploy names the other field manager on a conflict, and --force-conflicts takes the fields over", async (t) => {
  const ws = workspace();
  const common = ["--app", ws.app, "--target", ws.target, "--platform", ws.platform, "--image", image("c")];
  const namespace = `cart-pr-${ws.target.slice("preview:".length)}`;
  const kubectl = (args: string[], input?: string) =>
    execFileSync(peerPath("kubectl"), ["--kubeconfig", testKubeconfig(), ...args], {
      encoding: "utf8",
      ...(input === undefined ? {} : { input }),
    });
  t.after(() => kubectl(["delete", "namespace", namespace, "--wait=false"]));
  // Another tool already manages the ConfigMap the app renders, with a different value.
  kubectl(["create", "namespace", namespace]);
  kubectl(
    ["apply", "--server-side", "--field-manager=ops-tool", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "cart-config", namespace },
      data: { "features.json": "{}" },
    }),
  );
  const features = () =>
    kubectl(["-n", namespace, "get", "configmap", "cart-config", "-o", "jsonpath={.data.features\\.json}"]);

  const refused = await run("deploy", ...common);
  assert.notEqual(refused.code, 0, refused.stdout);
  assert.match(
    refused.stderr,
    new RegExp(
      `ConfigMap/${namespace}/cart-config already exists and is not Slipway's \\(managed by ops-tool\\).*--force-conflicts`,
    ),
  );
  assert.equal(features(), "{}", "the other tool's value is untouched");

  const forced = await run("deploy", ...common, "--force-conflicts");
  assert.equal(forced.code, 0, `${forced.stdout}\n${forced.stderr}`);
  assert.match(features(), /expressCheckout/);
});
