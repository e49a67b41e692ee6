/**
 * The canary on the cluster path: `slipway deploy` and `slipway diff` against the real control
 * plane with a secret holding a known value. The value must arrive in the cluster's Secret, and be
 * in no line the CLI prints (also when a diff sees the value change) and in no annotation
 * Slipway writes (the applied-hash, the checksum that rolls the pods).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { parse } from "yaml";
import { memoryIo } from "../src/cli/io.ts";
import { main } from "../src/cli/main.ts";
import { AgeKeyBackend } from "../src/secrets/backends/age.ts";
import { encryptDocument } from "../src/secrets/format/sops-file.ts";
import { KeyRing } from "../src/secrets/key-ring.ts";
import { peerPath } from "../src/testing/peers.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

test("on a cluster, the secret value reaches the Secret and no output, diff or annotation", async () => {
  const kubeconfig = testKubeconfig();
  const context = String(
    (parse(readFileSync(kubeconfig, "utf8")) as { "current-context": string })["current-context"],
  );
  const canary = `canary-${randomBytes(6).toString("hex")}`;
  const identity = await generateIdentity();
  const keys = new KeyRing([new AgeKeyBackend([identity])]);
  const root = mkdtempSync(join(tmpdir(), "slipway-canary-cluster-"));
  const appDir = join(root, "vault-app");
  mkdirSync(join(appDir, "secrets"), { recursive: true });
  const writeSecret = async (value: string) =>
    writeFileSync(
      join(appDir, "secrets", "app.enc.yaml"),
      await encryptDocument(new TextEncoder().encode(`PASSWORD: ${value}\n`), {
        file: "secrets/app.enc.yaml",
        keyGroups: [[{ type: "age", recipient: await identityToRecipient(identity) }]],
        keys,
        now: new Date(),
      }),
    );
  await writeSecret(canary);
  writeFileSync(
    join(appDir, "slipway.yaml"),
    `apiVersion: slipway.dev/v1\nkind: App\nname: vault-app\nteam: sec\nimage: { repository: registry.example.com/sec/vault-app }\nports: [{ name: http, port: 8080 }]\nsecrets:\n  - { name: app, file: secrets/app.enc.yaml }\n`,
  );
  const branch = `canary-${randomBytes(3).toString("hex")}`;
  writeFileSync(
    join(root, "slipway.platform.yaml"),
    `apiVersion: slipway.dev/v1\nkind: Platform\nclusters:\n  - { name: test, kubeconfig: { context: ${JSON.stringify(context)}, path: ${JSON.stringify(kubeconfig)} } }\npreviews: { cluster: test, domain: preview.example.com }\n`,
  );
  const printed: string[] = [];
  const run = async (...argv: string[]) => {
    const io = memoryIo({ env: { SOPS_AGE_KEY: identity }, cwd: root });
    const code = await main(argv, io);
    printed.push(io.stdout() + io.stderr());
    return code;
  };
  const common = [
    "--app",
    appDir,
    "--target",
    `preview:${branch}`,
    "--image",
    `registry.example.com/sec/vault-app@sha256:${"e".repeat(64)}`,
    // The operator's platform file, named: it is never found from the app.
    "--platform",
    join(root, "slipway.platform.yaml"),
  ];
  const namespace = `vault-app-pr-${branch}`;
  const kubectl = (...args: string[]) =>
    execFileSync(peerPath("kubectl"), ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8" });
  try {
    assert.equal(await run("deploy", ...common), 0, printed.at(-1) ?? "");
    assert.equal(await run("diff", ...common), 0, printed.at(-1) ?? "");
    await writeSecret(`${canary}-rotated`);
    assert.equal(await run("diff", ...common), 0, printed.at(-1) ?? "");
    assert.match(
      printed.at(-1) ?? "",
      /redacted, changed/,
      "the diff says the value changed, not what it is",
    );
    assert.equal(await run("deploy", ...common, "--output", "json"), 0, printed.at(-1) ?? "");

    for (const text of printed) {
      assert.ok(!text.includes(canary), "the secret value leaked into the CLI's output");
      assert.ok(
        !text.includes(Buffer.from(canary).toString("base64").slice(0, 16)),
        "the base64 value leaked into the output",
      );
    }
    const secret = JSON.parse(kubectl("get", "secret", "vault-app-app", "-n", namespace, "-o", "json")) as {
      data: Record<string, string>;
      metadata: { annotations: Record<string, string> };
    };
    assert.equal(
      Buffer.from(secret.data.PASSWORD!, "base64").toString(),
      `${canary}-rotated`,
      "the value arrived",
    );
    const deployment = kubectl("get", "deployment", "vault-app", "-n", namespace, "-o", "json");
    for (const text of [JSON.stringify(secret.metadata.annotations), deployment])
      assert.ok(!text.includes(canary));
  } finally {
    execFileSync(peerPath("kubectl"), [
      "--kubeconfig",
      kubeconfig,
      "delete",
      "namespace",
      namespace,
      "--wait=false",
      "--ignore-not-found",
    ]);
  }
});
