/**
 * The GitOps target against real git repositories in temporary directories: a local repository,
 * a bare remote that receives pushes, and a second clone that pushes behind Slipway's back.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { isSlipwayError } from "../src/core/errors.ts";
import type { KubeObject } from "../src/core/kube-object.ts";
import type { DeployProgress } from "../src/delivery/deploy-target.ts";
import { GitOpsTarget, type SecretSealer } from "../src/gitops/gitops-target.ts";
import {
  bareRemote,
  COMMIT,
  cloneAs,
  commitCount,
  deployment,
  git,
  IMAGE,
  request,
  service,
  tempDir,
} from "./support/gitops-repos.ts";

test("a deploy writes one deterministic file per object under <target>/<app>/ and commits what it deployed", async () => {
  const dir = join(tempDir(), "gitops");
  const events: DeployProgress[] = [];
  const target = new GitOpsTarget({ dir });
  const result = await target.apply(
    request("shop", [deployment("shop"), service("shop")], { onProgress: (e) => events.push(e) }),
  );

  assert.equal(result.wrote, true);
  assert.deepEqual(git(dir, "ls-files").split("\n"), [
    "stable/shop/deployment-shop.yaml",
    "stable/shop/service-shop.yaml",
  ]);
  assert.equal(
    readFileSync(join(dir, "stable/shop/service-shop.yaml"), "utf8"),
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: shop\n  namespace: shop\nspec:\n  ports:\n    - port: 80\n",
  );
  const message = git(dir, "log", "-1", "--format=%B");
  assert.equal(message.split("\n")[0], `deploy shop to stable: ${IMAGE} (commit 0123456789ab)`);
  assert.match(message, /create Deployment\/shop\/shop/);
  assert.equal(git(dir, "log", "-1", "--format=%(trailers:key=Slipway-Commit,valueonly)"), COMMIT);
  assert.equal(git(dir, "log", "-1", "--format=%an <%ae>"), "Slipway <slipway@localhost>");
  assert.equal(result.revision, git(dir, "rev-parse", "HEAD"));
  assert.deepEqual(
    events.map((e) => e.type),
    ["object", "object", "revision"],
  );
});

test("the same objects in another key order make the same bytes, and an unchanged render makes no commit", async () => {
  const dir = join(tempDir(), "gitops");
  const target = new GitOpsTarget({ dir });
  await target.apply(request("shop", [deployment("shop")]));
  const before = git(dir, "rev-parse", "HEAD");
  const shuffled = deployment("shop");
  const reordered: KubeObject = {
    spec: shuffled.spec,
    metadata: shuffled.metadata,
    kind: "Deployment",
    apiVersion: "apps/v1",
  };

  const result = await target.apply(request("shop", [reordered]));

  assert.equal(result.wrote, false);
  assert.equal(git(dir, "rev-parse", "HEAD"), before);
  assert.equal(git(dir, "status", "--porcelain"), "");
  assert.deepEqual(
    result.changes.map((c) => c.action),
    ["unchanged"],
  );
});

test("a change rewrites only its file and an object no longer rendered loses its file", async () => {
  const dir = join(tempDir(), "gitops");
  const target = new GitOpsTarget({ dir });
  await target.apply(request("shop", [deployment("shop"), service("shop")]));
  writeFileSync(join(dir, "stable/shop/README.md"), "kept: not Slipway's\n");

  const plan = await target.plan(request("shop", [deployment("shop", 3)]));
  assert.deepEqual(
    plan.map((c) => [c.ref, c.action]),
    [
      ["Deployment/shop/shop", "update"],
      ["Service/shop/shop", "delete"],
    ],
  );
  assert.equal(commitCount(dir), 1, "a plan writes nothing");

  await target.apply(request("shop", [deployment("shop", 3)]));
  assert.deepEqual(git(dir, "show", "--format=", "--name-status", "HEAD").split("\n"), [
    "M\tstable/shop/deployment-shop.yaml",
    "D\tstable/shop/service-shop.yaml",
  ]);
  assert.match(readFileSync(join(dir, "stable/shop/deployment-shop.yaml"), "utf8"), /replicas: 3/);
  assert.ok(existsSync(join(dir, "stable/shop/README.md")));
});

test("apps sharing a target never touch each other's files, and an empty render is refused", async () => {
  const dir = join(tempDir(), "gitops");
  const target = new GitOpsTarget({ dir });
  await target.apply(request("shop", [deployment("shop")]));
  await target.apply(request("cart", [deployment("cart")]));
  assert.deepEqual(git(dir, "ls-files").split("\n"), [
    "stable/cart/deployment-cart.yaml",
    "stable/shop/deployment-shop.yaml",
  ]);

  const error = await target.apply(request("cart", [])).catch((e: unknown) => e);
  assert.ok(isSlipwayError(error) && error.code === "SLIPWAY_E_INPUT", String(error));
  assert.equal(commitCount(dir), 2);

  await target.apply(request("cart", [], { allowEmpty: true }));
  assert.deepEqual(git(dir, "ls-files").split("\n"), ["stable/shop/deployment-shop.yaml"]);
});

test("deploys are pushed to the remote, also after someone else pushed first", async () => {
  const remote = bareRemote();
  const dir = join(tempDir(), "slipway-checkout");
  const target = new GitOpsTarget({ dir, url: remote, branch: "main" });

  await target.apply(request("shop", [deployment("shop")]));
  assert.equal(git(remote, "rev-parse", "main"), git(dir, "rev-parse", "HEAD"));

  const person = cloneAs(remote, "platform-engineer");
  writeFileSync(join(person, "README.md"), "# GitOps\n");
  git(person, "add", "README.md");
  git(person, "commit", "-q", "-m", "readme");
  git(person, "push", "-q", "origin", "main");

  await target.apply(request("shop", [deployment("shop", 5)]));
  assert.equal(commitCount(remote, "main"), 3);
  assert.equal(git(remote, "log", "-1", "--format=%s", "main").startsWith("deploy shop to stable"), true);
  assert.equal(git(remote, "show", "main:README.md"), "# GitOps");

  const unchanged = await target.apply(request("shop", [deployment("shop", 5)]));
  assert.equal(unchanged.wrote, false);
  assert.equal(commitCount(remote, "main"), 3);
});

test("deploys into one repository at once never interleave: each commit holds only its own app", async () => {
  const remote = bareRemote();
  const dir = join(tempDir(), "slipway-checkout");
  const a = new GitOpsTarget({ dir, url: remote, branch: "main" });
  await a.apply(request("seed", [deployment("seed")]));
  const b = new GitOpsTarget({ dir, url: remote, branch: "main" });
  const apps = ["shop", "cart", "auth", "mail"];
  await Promise.all(
    apps.map((app, i) => (i % 2 === 0 ? a : b).apply(request(app, [deployment(app), service(app)]))),
  );

  assert.equal(commitCount(remote, "main"), 5);
  const commits = git(remote, "log", "--format=%H", "main").split("\n").slice(0, 4);
  for (const sha of commits) {
    const files = git(remote, "show", "--format=", "--name-only", sha).split("\n");
    const app = git(remote, "log", "-1", "--format=%(trailers:key=Slipway-App,valueonly)", sha);
    assert.deepEqual(files, [`stable/${app}/deployment-${app}.yaml`, `stable/${app}/service-${app}.yaml`]);
  }
});

const envelope = (tag: string) =>
  `ENC[AES256_GCM,data:${Buffer.from(tag).toString("base64")},iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:BBBBBBBBBBBBBBBBBBBBBB==,type:str]`;

function plainSecret(password: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "db", namespace: "shop" },
    type: "Opaque",
    stringData: { password },
  };
}

test("a plaintext Secret never reaches the repository", async () => {
  const dir = join(tempDir(), "gitops");
  const target = new GitOpsTarget({ dir });
  await target.apply(request("shop", [deployment("shop")]));

  const error = await target
    .apply(request("shop", [deployment("shop"), plainSecret("hunter2")]))
    .catch((e: unknown) => e);

  assert.ok(isSlipwayError(error) && error.code === "SLIPWAY_E_SECRET_PLAINTEXT", String(error));
  assert.doesNotMatch(error.message, /hunter2/);
  assert.equal(commitCount(dir), 1);
  assert.equal(git(dir, "status", "--porcelain"), "");
  assert.doesNotMatch(git(dir, "log", "--all", "-p"), /hunter2/);
});

test("Secrets are written in SOPS-encrypted form, key order kept, and an unchanged secret makes no commit", async () => {
  const dir = join(tempDir(), "gitops");
  const sealed: string[] = [];
  // Stands in for the SOPS encryption of src/secrets; it follows the sealer contract.
  const sealer: SecretSealer = {
    async seal(plain, previous) {
      const password = String((plain.stringData as Record<string, string>).password);
      sealed.push(password);
      if (
        previous !== undefined &&
        (previous.data as Record<string, string>).password === envelope(password)
      ) {
        return previous;
      }
      return {
        kind: "Secret",
        apiVersion: "v1",
        metadata: plain.metadata,
        type: "Opaque",
        data: { password: envelope(password) },
        sops: { mac: envelope("mac"), version: "3.13.0", encrypted_regex: "^(data|stringData)$" },
      };
    },
  };
  const target = new GitOpsTarget({ dir, sealer });
  await target.apply(request("shop", [deployment("shop"), plainSecret("hunter2")]));

  const file = readFileSync(join(dir, "stable/shop/secret-db.yaml"), "utf8");
  assert.match(
    file,
    /^kind: Secret\napiVersion: v1\n/,
    "SOPS files keep their order: their MAC depends on it",
  );
  assert.doesNotMatch(git(dir, "log", "--all", "-p"), /hunter2/);

  const again = await target.apply(request("shop", [deployment("shop"), plainSecret("hunter2")]));
  assert.equal(again.wrote, false);
  assert.equal(commitCount(dir), 1);

  const changed = await target.apply(request("shop", [deployment("shop"), plainSecret("correct-horse")]));
  assert.equal(changed.wrote, true);
  const update = changed.changes.find((c) => c.ref === "Secret/shop/db");
  assert.equal(update?.action, "update");
  assert.deepEqual(update?.after?.data, { password: "<redacted, changed>" });
  assert.deepEqual(sealed, ["hunter2", "hunter2", "correct-horse"]);
});

test("a failing git command is a typed error naming the command and git's stderr", async () => {
  const dir = join(tempDir(), "gitops");
  const target = new GitOpsTarget({ dir });
  await target.apply(request("shop", [deployment("shop")]));
  git(dir, "remote", "add", "origin", join(tempDir(), "no-such-remote.git"));

  const error = await target.apply(request("shop", [deployment("shop", 4)])).catch((e: unknown) => e);

  assert.ok(isSlipwayError(error) && error.code === "SLIPWAY_E_GIT", String(error));
  assert.match(
    error.message,
    /`git fetch -q origin` failed in .*gitops \(exit 128\): .*does not appear to be a git repository/,
  );
});

test("a checkout made before a remote was configured starts pushing once the remote is named", async () => {
  const dir = join(tempDir(), "gitops");
  await new GitOpsTarget({ dir }).apply(request("shop", [deployment("shop")]));
  const remote = bareRemote();

  const before = git(dir, "rev-parse", "HEAD");
  const result = await new GitOpsTarget({ dir, url: remote }).apply(request("shop", [deployment("shop")]));

  assert.equal(git(dir, "rev-parse", "HEAD"), before, "nothing new to commit");
  assert.equal(result.wrote, true, "the push wrote to the remote");
  assert.deepEqual(
    result.changes.map((c) => c.action),
    ["create"],
    "compared with what the remote held: nothing",
  );
  assert.equal(
    git(remote, "rev-parse", "main"),
    git(dir, "rev-parse", "HEAD"),
    "the earlier commit was pushed",
  );
});

test("two first deploys racing to clone the remote both land", async () => {
  const remote = bareRemote();
  const dir = join(tempDir(), "fresh-checkout");
  await Promise.all(
    ["shop", "cart"].map((app) =>
      new GitOpsTarget({ dir, url: remote, branch: "main" }).apply(request(app, [deployment(app)])),
    ),
  );
  assert.equal(commitCount(remote, "main"), 2);
  assert.deepEqual(git(remote, "ls-tree", "-r", "--name-only", "main").split("\n"), [
    "stable/cart/deployment-cart.yaml",
    "stable/shop/deployment-shop.yaml",
  ]);
});
