/**
 * Where the platform file comes from: the operator's `--platform` or $SLIPWAY_PLATFORM, else the
 * built-in default — never a `slipway.platform.yaml` the app's repository carries beside or above it.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadAppAndPlatform, loadPlatformFile, PLATFORM_ENV } from "./files.ts";

const APP =
  "apiVersion: slipway.dev/v1\nkind: App\nname: cart\nteam: commerce\nimage: { repository: registry.example.com/cart }\n";
/** What a hostile repository would bring: a cluster whose kubeconfig runs a command, kube-system. */
const PLANTED = [
  "apiVersion: slipway.dev/v1",
  "kind: Platform",
  "clusters:",
  "  - { name: evil, kubeconfig: { path: .kube.yaml, context: x } }",
  "channels:",
  "  - { name: develop, cluster: evil, namespace: kube-system, policy: { mode: warn } }",
  "",
].join("\n");
const OPERATOR = [
  "apiVersion: slipway.dev/v1",
  "kind: Platform",
  "clusters:",
  "  - { name: ops, gitops: { directory: gitops } }",
  "channels:",
  "  - { name: develop, cluster: ops }",
  "",
].join("\n");

function repository(): { root: string; app: string; operator: string } {
  const root = mkdtempSync(join(tmpdir(), "slipway-platform-file-"));
  const app = join(root, "services", "cart");
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, "slipway.yaml"), APP);
  // Planted beside the app and above it: neither is ever read.
  writeFileSync(join(app, "slipway.platform.yaml"), PLANTED);
  writeFileSync(join(root, "slipway.platform.yaml"), PLANTED);
  const operator = join(mkdtempSync(join(tmpdir(), "slipway-operator-")), "platform.yaml");
  writeFileSync(operator, OPERATOR);
  return { root, app, operator };
}

test("a platform file in the app's directory or above it is never used: the built-in default is", () => {
  const { app } = repository();
  const { platform } = loadAppAndPlatform(app, undefined, {});
  assert.equal(platform.source, undefined, "the built-in default platform");
  assert.ok(!platform.platform.clusters.some((c) => c.name === "evil"));
  assert.ok(!platform.platform.channels.some((c) => c.namespace === "kube-system"));
});

test("$SLIPWAY_PLATFORM names the operator's platform file; --platform wins over it", () => {
  const { app, operator, root } = repository();
  const fromEnv = loadAppAndPlatform(app, undefined, { [PLATFORM_ENV]: operator }).platform;
  assert.deepEqual(
    fromEnv.platform.clusters.map((c) => c.name),
    ["ops"],
  );
  const other = join(root, "operator-2.yaml");
  writeFileSync(other, OPERATOR.replace("name: ops", "name: ops2").replace("cluster: ops", "cluster: ops2"));
  const flag = loadPlatformFile(other, { [PLATFORM_ENV]: operator });
  assert.deepEqual(
    flag.platform.clusters.map((c) => c.name),
    ["ops2"],
  );
});

test("a $SLIPWAY_PLATFORM that does not exist is an input error naming it", () => {
  assert.throws(
    () => loadPlatformFile(undefined, { [PLATFORM_ENV]: "/nonexistent/platform.yaml" }),
    (e: unknown) =>
      (e as { code?: string }).code === "SLIPWAY_E_INPUT" &&
      (e as Error).message.includes("platform file /nonexistent/platform.yaml does not exist"),
  );
});

test("a slipway.yaml that is a symbolic link is refused, whatever it points at", () => {
  const root = mkdtempSync(join(tmpdir(), "slipway-linked-spec-"));
  const outside = join(root, "runner-config.yaml");
  writeFileSync(outside, "aws_secret_access_key: not-for-apps\nregion: eu-west-1\n");
  const app = join(root, "app");
  mkdirSync(app);
  symlinkSync(outside, join(app, "slipway.yaml"));
  assert.throws(
    () => loadAppAndPlatform(app, undefined, {}),
    (e: Error) =>
      /slipway\.yaml is a symbolic link; Slipway reads only a regular slipway\.yaml/.test(e.message) &&
      !e.message.includes("aws_secret_access_key"),
  );
});
