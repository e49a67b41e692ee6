/**
 * Reading a kubeconfig: credential plugins (commands) run only when the operator allows them, and
 * a context the platform names but the kubeconfig lacks is an error naming both.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isSlipwayError } from "../core/errors.ts";
import { httpsTransport } from "./transport.ts";

function kubeconfig(user: Record<string, unknown>): { file: string } {
  const dir = mkdtempSync(join(tmpdir(), "slipway-kubeconfig-"));
  const file = join(dir, ".kube.yaml");
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1" } }],
      users: [{ name: "deployer", user }],
      contexts: [{ name: "kind-dev", context: { cluster: "c", user: "deployer" } }],
      "current-context": "kind-dev",
    }),
  );
  return { file };
}

test("an exec credential plugin is refused, naming the kubeconfig, user and what to do; it never runs", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-exec-"));
  const marker = join(dir, "pwned");
  const { file } = kubeconfig({
    exec: {
      apiVersion: "client.authentication.k8s.io/v1",
      command: "sh",
      args: [
        "-c",
        `id > ${marker}; echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t"}}'`,
      ],
      interactiveMode: "Never",
    },
  });
  await assert.rejects(httpsTransport({ kubeconfig: file }, 1), (e: unknown) => {
    assert.ok(isSlipwayError(e));
    assert.equal(e.code, "SLIPWAY_E_INPUT");
    assert.match(e.message, new RegExp(`kubeconfig ${file.replace(/[.]/g, "\\.")} gives user \`deployer\``));
    assert.match(e.message, /exec plugin \(`sh`\)/);
    assert.match(e.message, /SLIPWAY_ALLOW_EXEC_CREDENTIALS=1/);
    return true;
  });
  assert.equal(existsSync(marker), false, "the plugin's command must not have run");
  // The operator's explicit consent runs it.
  await httpsTransport({ kubeconfig: file, allowCredentialPlugins: true }, 1);
  assert.equal(existsSync(marker), true, "allowed by the operator, the plugin runs");
});

test("an auth-provider plugin is refused too", async () => {
  const { file } = kubeconfig({ "auth-provider": { name: "gcp", config: { "cmd-path": "/bin/sh" } } });
  await assert.rejects(
    httpsTransport({ kubeconfig: file }, 1),
    (e: unknown) => isSlipwayError(e) && /auth-provider plugin \(`gcp`\)/.test(e.message),
  );
});

test("a context the kubeconfig lacks is named with the kubeconfig and the contexts it has", async () => {
  const { file } = kubeconfig({ token: "t" });
  await assert.rejects(httpsTransport({ kubeconfig: file, context: "prod-eu-west-1" }, 1), (e: unknown) => {
    assert.ok(isSlipwayError(e));
    assert.equal(e.code, "SLIPWAY_E_INPUT");
    assert.ok(
      e.message.includes(`the kubeconfig ${file} has no context \`prod-eu-west-1\` (it has kind-dev)`),
      e.message,
    );
    assert.doesNotMatch(e.message, /\(default\)/);
    return true;
  });
});

test("a kubeconfig that does not exist is named, not a stack trace", async () => {
  await assert.rejects(
    httpsTransport({ kubeconfig: "/nonexistent/kubeconfig", context: "x" }, 1),
    (e: unknown) =>
      isSlipwayError(e) && e.message === "the kubeconfig /nonexistent/kubeconfig does not exist",
  );
});

test("with no kubeconfig at all, the error says so and names the platform's context", () => {
  const home = mkdtempSync(join(tmpdir(), "slipway-home-"));
  const script = `
    import { httpsTransport } from ${JSON.stringify(new URL("./transport.ts", import.meta.url).href)};
    await httpsTransport({ context: "prod-eu-west-1" }, 1).catch((e) => { console.log(e.code, e.message); });
  `;
  const { KUBECONFIG: _k, KUBERNETES_SERVICE_HOST: _s, ...env } = process.env;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...env, HOME: home },
    encoding: "utf8",
  });
  assert.equal(run.stderr, "");
  assert.match(
    run.stdout,
    /^SLIPWAY_E_INPUT no kubeconfig to reach context `prod-eu-west-1`: \$KUBECONFIG is not set and .*\/\.kube\/config does not exist; set \$KUBECONFIG, or point the platform's cluster at a kubeconfig/,
  );
  assert.doesNotMatch(run.stdout, /in-cluster|loaded-context/);
});
