/**
 * An app's repository cannot choose the platform file or run commands through a kubeconfig: a
 * `slipway.platform.yaml` planted above the app, whose cluster's kubeconfig has an `exec` plugin,
 * is never read by `diff` or `deploy`; the operator's platform file naming such a kubeconfig is
 * refused until the operator allows plugins; a context missing from the kubeconfig is named.
 */
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { memoryIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";

const examples = join(import.meta.dirname, "../examples");
const IMAGE = `registry.example.com/commerce/cart@sha256:${"a".repeat(64)}`;

/** A kubeconfig whose user's credential plugin writes `id` and $VAULT_TOKEN to `marker`. */
function execKubeconfig(file: string, marker: string): void {
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1" } }],
      users: [
        {
          name: "ci-deployer",
          user: {
            exec: {
              apiVersion: "client.authentication.k8s.io/v1",
              command: "sh",
              args: [
                "-c",
                `(id; echo "$VAULT_TOKEN") > ${marker}; echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t"}}'`,
              ],
              interactiveMode: "Never",
            },
          },
        },
      ],
      contexts: [{ name: "prod", context: { cluster: "c", user: "ci-deployer" } }],
      "current-context": "prod",
    }),
  );
}

function platformFile(file: string, kubeconfig: string, context: string): void {
  writeFileSync(
    file,
    [
      "apiVersion: slipway.dev/v1",
      "kind: Platform",
      "clusters:",
      `  - { name: production, kubeconfig: { path: ${JSON.stringify(kubeconfig)}, context: ${context} } }`,
      "channels:",
      "  - { name: develop, cluster: production, domain: develop.example.com }",
      "  - { name: stable, cluster: production, domain: example.com, production: true }",
      "teams:",
      "  - name: commerce",
      "",
    ].join("\n"),
  );
}

async function run(cwd: string, env: Record<string, string>, ...argv: string[]) {
  const keys = { SOPS_AGE_KEY_FILE: join(examples, "demo-age-key.txt") };
  const io = memoryIo({ cwd, env: { VAULT_TOKEN: "s.hunter2", ...keys, ...env } });
  const code = await main(argv, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

test("diff and deploy never read a platform file planted in the app's repository, so its kubeconfig's command never runs", async () => {
  const repo = mkdtempSync(join(tmpdir(), "slipway-planted-"));
  const app = join(repo, "services", "cart");
  mkdirSync(join(repo, "services"));
  cpSync(join(examples, "cart"), app, { recursive: true });
  const marker = join(repo, "pwned");
  execKubeconfig(join(repo, ".kube.yaml"), marker);
  platformFile(join(repo, "slipway.platform.yaml"), ".kube.yaml", "prod");
  platformFile(join(app, "slipway.platform.yaml"), "../../.kube.yaml", "prod");
  for (const argv of [
    ["diff", "--app", app, "--target", "develop", "--image", IMAGE],
    ["deploy", "--app", app, "--target", "develop", "--image", IMAGE, "--dry-run"],
  ]) {
    await run(repo, {}, ...argv);
    assert.equal(existsSync(marker), false, `${argv[0]} ran the planted kubeconfig's command`);
  }
});

test("the operator's kubeconfig with an exec plugin is refused, naming it and the user, until the operator allows plugins", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-exec-"));
  const marker = join(dir, "ran");
  const kubeconfig = join(dir, "kubeconfig.yaml");
  execKubeconfig(kubeconfig, marker);
  const platform = join(dir, "platform.yaml");
  platformFile(platform, kubeconfig, "prod");
  const args = [
    "diff",
    "--app",
    join(examples, "cart"),
    "--target",
    "develop",
    "--image",
    IMAGE,
    "--platform",
    platform,
  ];
  const refused = await run(dir, {}, ...args);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(
    refused.stderr,
    new RegExp(`kubeconfig ${kubeconfig} gives user \`ci-deployer\` \\(context \`prod\`\\)`),
  );
  assert.match(refused.stderr, /exec plugin \(`sh`\).*SLIPWAY_ALLOW_EXEC_CREDENTIALS=1/);
  assert.doesNotMatch(refused.stderr, /hunter2|\n\s+at /);
  assert.equal(existsSync(marker), false);
  // Allowed by the operator's environment, the plugin runs (the server it names is not there).
  await run(dir, { SLIPWAY_ALLOW_EXEC_CREDENTIALS: "1" }, ...args);
  assert.equal(existsSync(marker), true);
});

test("deploy to a channel names the platform's context and the kubeconfig that lacks it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-context-"));
  const kubeconfig = join(dir, "kubeconfig.yaml");
  execKubeconfig(kubeconfig, join(dir, "unused"));
  const platform = join(dir, "platform.yaml");
  platformFile(platform, kubeconfig, "prod-eu-west-1");
  const out = await run(
    dir,
    {},
    "deploy",
    ...["--app", join(examples, "cart"), "--target", "develop", "--image", IMAGE, "--platform", platform],
  );
  assert.equal(out.code, 2, out.stderr);
  assert.match(
    out.stderr,
    new RegExp(`the kubeconfig ${kubeconfig} has no context \`prod-eu-west-1\` \\(it has prod\\)`),
  );
  assert.doesNotMatch(out.stderr, /\(default\)/);
});
