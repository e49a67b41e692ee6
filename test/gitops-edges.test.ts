/**
 * The GitOps target at its edges, against real git: a checkout someone left work in, deploys
 * killed between their steps, a deploy waiting for another's lock, and symbolic links pushed into
 * the repository.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isSlipwayError } from "../src/core/errors.ts";
import type { KubeObject } from "../src/core/kube-object.ts";
import type { ApplyRequest, DeployProgress } from "../src/delivery/deploy-target.ts";
import { GitOpsTarget } from "../src/gitops/gitops-target.ts";
import {
  bareRemote,
  cloneAs,
  commitCount,
  deployment,
  git,
  gitKilledAt,
  request,
  service,
  tempDir,
} from "./support/gitops-repos.ts";

/** Slipway's checkout with one deploy of shop pushed to a bare remote. */
async function deployedCheckout() {
  const remote = bareRemote();
  const dir = join(tempDir(), "slipway-checkout");
  const target = () => new GitOpsTarget({ dir, url: remote, branch: "main" });
  await target().apply(request("shop", [deployment("shop"), service("shop")]));
  return { remote, dir, target };
}

/** Runs one deploy in a child process whose `git` kills it when asked to run `step`. */
function deployKilledAt(step: string, dir: string, remote: string, req: ApplyRequest): void {
  const moduleUrl = new URL("../src/gitops/gitops-target.ts", import.meta.url).href;
  const script = `
    const { GitOpsTarget } = await import(${JSON.stringify(moduleUrl)});
    await new GitOpsTarget(${JSON.stringify({ dir, url: remote, branch: "main" })}).apply(${JSON.stringify(req)});
    process.stdout.write("finished");`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, PATH: `${gitKilledAt(step)}:${process.env.PATH}` },
    encoding: "utf8",
  });
  assert.equal(child.signal, "SIGKILL", `the deploy was to be killed at \`git ${step}\`: ${child.stderr}`);
}

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => assert.fail("expected an error"),
    (error: unknown) => error,
  );

test("a dirty checkout with a remote is refused by diff and deploy with its changes listed, and nothing is lost", async () => {
  const { remote, dir, target } = await deployedCheckout();
  writeFileSync(join(dir, "NOTES.md"), "work in progress\n");
  git(dir, "add", "NOTES.md");
  const edited = `${readFileSync(join(dir, "stable/shop/service-shop.yaml"), "utf8")}# a hand edit\n`;
  writeFileSync(join(dir, "stable/shop/service-shop.yaml"), edited);
  const pushed = git(remote, "rev-parse", "main");

  for (const run of [
    () => target().plan(request("shop", [deployment("shop", 3)])),
    () => target().apply(request("shop", [deployment("shop", 3)])),
  ]) {
    const error = await errorOf(run());
    assert.ok(isSlipwayError(error) && error.code === "SLIPWAY_E_CONFLICT", String(error));
    assert.match(error.message, /has uncommitted changes/);
    assert.match(error.message, /^ {2}A {2}NOTES\.md$/m);
    assert.match(error.message, /^ {2} M stable\/shop\/service-shop\.yaml$/m);
    assert.doesNotMatch(error.message, /someone else/, "nobody pushed");
    assert.equal(git(dir, "status", "--porcelain"), "A  NOTES.md\n M stable/shop/service-shop.yaml");
    assert.equal(readFileSync(join(dir, "NOTES.md"), "utf8"), "work in progress\n");
    assert.equal(readFileSync(join(dir, "stable/shop/service-shop.yaml"), "utf8"), edited);
    assert.equal(git(remote, "rev-parse", "main"), pushed, "nothing pushed");
  }
});

test("an unpushed deploy commit that conflicts with a later push: diff leaves it alone, deploy sets it aside and says who changed what", async () => {
  const { remote, dir, target } = await deployedCheckout();
  const four = request("shop", [deployment("shop", 4), service("shop")]);
  deployKilledAt("push", dir, remote, four);
  const local = git(dir, "rev-parse", "HEAD");
  const person = cloneAs(remote, "platform-engineer");
  const file = join(person, "stable/shop/deployment-shop.yaml");
  writeFileSync(file, readFileSync(file, "utf8").replace("replicas: 2", "replicas: 6"));
  git(person, "commit", "-q", "-am", "scale by hand");
  git(person, "push", "-q", "origin", "main");

  const plan = await target().plan(four);
  assert.equal(
    plan.find((c) => c.ref === "Deployment/shop/shop")?.action,
    "update",
    "compared with the push",
  );
  assert.equal(git(dir, "rev-parse", "HEAD"), local, "diff changed nothing");

  const error = await errorOf(target().apply(four));
  assert.ok(isSlipwayError(error) && error.code === "SLIPWAY_E_CONFLICT", String(error));
  assert.match(
    error.message,
    /change the same files \(stable\/shop\/deployment-shop\.yaml\) as 1 deploy commit/,
  );
  const aside = `refs/slipway/unpushed/main/${local.slice(0, 12)}`;
  assert.match(error.message, new RegExp(`set aside as ${aside}`));
  assert.equal(git(dir, "rev-parse", aside), local, "the unpushed commit is kept");

  const again = await target().apply(four);
  assert.equal(again.wrote, true);
  assert.match(git(remote, "show", "main:stable/shop/deployment-shop.yaml"), /replicas: 4/);
  assert.equal(git(remote, "log", "-1", "--format=%s", "main~1"), "scale by hand");
});

test("a deploy killed between writing its files and committing is finished by the next one, not called unchanged", async () => {
  const { remote, dir, target } = await deployedCheckout();
  const next = request("shop", [deployment("shop", 7), service("shop")]);
  deployKilledAt("commit", dir, remote, next);
  assert.match(readFileSync(join(dir, "stable/shop/deployment-shop.yaml"), "utf8"), /replicas: 7/);
  assert.match(git(dir, "log", "-1", "--format=%B", "HEAD"), /create Deployment/, "the old commit is HEAD");

  const plan = await target().plan(next);
  assert.deepEqual(
    plan.map((c) => [c.ref, c.action]),
    [
      ["Deployment/shop/shop", "update"],
      ["Service/shop/shop", "unchanged"],
    ],
  );

  const events: DeployProgress[] = [];
  const result = await target().apply({ ...next, onProgress: (e) => events.push(e) });
  assert.equal(result.wrote, true);
  assert.match(git(remote, "show", "main:stable/shop/deployment-shop.yaml"), /replicas: 7/);
  assert.equal(git(dir, "status", "--porcelain"), "");
  assert.ok(
    events.some((e) => e.type === "note" && /was interrupted before its commit/.test(e.text)),
    JSON.stringify(events),
  );
});

test("the files of another app's interrupted deploy are put back, never swept into this deploy's commit", async () => {
  const { remote, dir, target } = await deployedCheckout();
  deployKilledAt("commit", dir, remote, request("shop", [deployment("shop", 9)]));

  await target().apply(request("cart", [deployment("cart")]));

  assert.deepEqual(git(remote, "show", "--format=", "--name-only", "main").split("\n"), [
    "stable/cart/deployment-cart.yaml",
  ]);
  assert.equal(git(dir, "status", "--porcelain"), "", "shop's half-written files are gone");
  assert.match(readFileSync(join(dir, "stable/shop/deployment-shop.yaml"), "utf8"), /replicas: 2/);
  assert.ok(existsSync(join(dir, "stable/shop/service-shop.yaml")), "the file it deleted is back");
});

test("a deploy killed after its commit and before its push is pushed by the next one", async () => {
  const { remote, dir, target } = await deployedCheckout();
  const next = request("shop", [deployment("shop", 5), service("shop")]);
  deployKilledAt("push", dir, remote, next);
  assert.equal(commitCount(dir), 2);
  assert.equal(commitCount(remote, "main"), 1);

  const plan = await target().plan(next);
  assert.equal(plan.find((c) => c.ref === "Deployment/shop/shop")?.action, "update", "not pushed yet");

  const result = await target().apply(next);
  assert.equal(result.wrote, true);
  assert.equal(result.changes.find((c) => c.ref === "Deployment/shop/shop")?.action, "update");
  assert.equal(git(remote, "rev-parse", "main"), git(dir, "rev-parse", "HEAD"));
  assert.equal(commitCount(remote, "main"), 2, "the kept commit, no second one");
});

test("a deploy waiting for another's lock says who holds it and since when", async () => {
  const { dir, target } = await deployedCheckout();
  const since = new Date(Date.now() - 5_000).toISOString();
  const lock = join(dir, ".git/slipway-deploy.lock");
  const holder = { pid: process.pid, host: hostname(), since, purpose: "deploy cart to stable", token: "x" };
  writeFileSync(lock, `${JSON.stringify(holder)}\n`);
  setTimeout(() => rmSync(lock), 400);
  const events: DeployProgress[] = [];

  await target().apply({
    ...request("shop", [deployment("shop", 3), service("shop")]),
    onProgress: (e) => events.push(e),
  });

  const notes = events.flatMap((e) => (e.type === "note" ? [e.text] : []));
  assert.equal(notes.length, 1, notes.join("\n"));
  assert.match(
    notes[0] ?? "",
    new RegExp(
      `^waiting up to 120 s for another deploy to finish with .*slipway-checkout: deploy cart to stable, pid ${process.pid} on .+, since ${since.slice(0, 19)}Z \\(\\d+ s ago\\)$`,
    ),
  );
});

test("a symbolic link pushed into the repository is refused before anything outside it is written or deleted", async () => {
  const { remote, target } = await deployedCheckout();
  const elsewhere = tempDir();
  writeFileSync(
    join(elsewhere, "deployment-old.yaml"),
    "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: old }\n",
  );
  const outsideFile = join(tempDir(), "precious.yaml");
  writeFileSync(outsideFile, "apiVersion: v1\nkind: Service\nmetadata: { name: shop, namespace: shop }\n");
  const person = cloneAs(remote, "intruder");
  mkdirSync(join(person, "stable"), { recursive: true });
  symlinkSync(elsewhere, join(person, "stable/appc"));
  rmSync(join(person, "stable/shop/service-shop.yaml"));
  symlinkSync(outsideFile, join(person, "stable/shop/service-shop.yaml"));
  git(person, "add", "-A");
  git(person, "commit", "-q", "-m", "links");
  git(person, "push", "-q", "origin", "main");

  const cases: [string, KubeObject[], RegExp][] = [
    ["appc", [deployment("appc")], /^stable\/appc in the GitOps repository .* is a symbolic link/],
    [
      "shop",
      [deployment("shop", 3), service("shop")],
      /^stable\/shop\/service-shop\.yaml in the GitOps repository .* is a symbolic link/,
    ],
  ];
  for (const [app, objects, message] of cases) {
    for (const run of [
      () => target().plan(request(app, objects)),
      () => target().apply(request(app, objects)),
    ]) {
      const error = await errorOf(run());
      assert.ok(isSlipwayError(error) && error.code === "SLIPWAY_E_CONFLICT", String(error));
      assert.match(error.message, message);
    }
  }
  assert.deepEqual(readdirSync(elsewhere), ["deployment-old.yaml"], "nothing written or deleted there");
  assert.match(readFileSync(outsideFile, "utf8"), /^apiVersion: v1\nkind: Service\nmetadata: \{ name: shop/);
  assert.equal(commitCount(remote, "main"), 2, "nothing pushed");
});

test("a symbolic link made in the checkout itself is refused before the deploy writes through it", async () => {
  const { dir, target } = await deployedCheckout();
  const elsewhere = tempDir();
  symlinkSync(elsewhere, join(dir, "stable/mail"));

  const error = await errorOf(target().apply(request("mail", [deployment("mail")])));

  assert.ok(isSlipwayError(error) && error.code === "SLIPWAY_E_CONFLICT", String(error));
  assert.match(error.message, /^stable\/mail in the GitOps repository .* is a symbolic link/);
  assert.deepEqual(readdirSync(elsewhere), []);
  rmSync(join(dir, "stable/mail"));
  const next = await target().apply(request("mail", [deployment("mail")]));
  assert.equal(next.wrote, true, "the refused deploy left nothing behind to undo");
});

test("first deploys of several apps at once into a new GitOps directory all land, in one repository", async () => {
  // The engine runs deploys of different apps at once; on a fresh server none has made the
  // repository yet. Each made it in place, and two `git init`s in one directory collided.
  const apps = Array.from({ length: 12 }, (_, i) => `app-${i}`);
  for (const where of ["missing", "empty", "missing", "empty"] as const) {
    const dir = join(tempDir(), "gitops");
    if (where === "empty") mkdirSync(dir);
    const results = await Promise.allSettled(
      apps.map((app) => new GitOpsTarget({ dir }).apply(request(app, [deployment(app), service(app)]))),
    );
    const failed = results.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
    assert.deepEqual(failed, [], `a directory ${where} at first`);
    assert.equal(commitCount(dir), apps.length, "one commit per app, all in the same repository");
    assert.equal(git(dir, "status", "--porcelain"), "", "nothing left uncommitted");
  }
});
