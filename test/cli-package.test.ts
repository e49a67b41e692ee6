/**
 * The package as users install it: this checkout's CLI bundle (what `npm run build` writes to
 * `dist/bundle/`) packed with `npm pack`, installed with npm into an empty project, and run
 * through its `bin` with the examples: help, validate, render, check, export helm, and a deploy to
 * the test control plane (the Kubernetes client, watches and SOPS decryption, bundled).
 */
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { peerPath } from "../src/testing/peers.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

const checkout = fileURLToPath(new URL("..", import.meta.url));
const examples = join(checkout, "examples");
const platformFile = join(examples, "slipway.platform.yaml");
const image = `registry.example.com/commerce/cart@sha256:${"c".repeat(64)}`;
const root = mkdtempSync(join(tmpdir(), "slipway-package-"));
const project = join(root, "project");
const installed = join(project, "node_modules", "slipway");
const bin = join(installed, "bin", "slipway.js");

before(() => {
  process.on("exit", () => rmSync(root, { recursive: true, force: true }));
  // The bundle alone (the type check of `npm run build` is the suite's own step), then the
  // package exactly as `npm publish` would send it.
  execFileSync(process.execPath, ["scripts/bundle.ts"], {
    cwd: checkout,
    stdio: ["ignore", "ignore", "inherit"],
  });
  execFileSync("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", root], {
    cwd: checkout,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const tarball = readdirSync(root).find((f) => f.endsWith(".tgz"));
  assert.ok(tarball, `npm pack wrote no tarball into ${root}`);
  mkdirSync(project);
  writeFileSync(
    join(project, "package.json"),
    `${JSON.stringify({ name: "uses-slipway", private: true })}\n`,
  );
  execFileSync(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", join(root, tarball)],
    { cwd: project, stdio: ["ignore", "ignore", "inherit"] },
  );
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

// Every command here names its platform file; one set for the whole run must not stand in.
const { SLIPWAY_PLATFORM: _platform, ...withoutPlatform } = process.env;

/** `slipway <args>` through the installed bin, from the project's directory (its own cache directory). */
function slipway(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: project,
    encoding: "utf8",
    env: { ...withoutPlatform, XDG_CACHE_HOME: join(root, "cache"), ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const onCart = ["--app", join(examples, "cart"), "--platform", platformFile];

test("the installed package holds the bundle, not the sources or the compiled modules", () => {
  assert.ok(existsSync(join(installed, "dist", "bundle", "main.js")));
  assert.ok(!existsSync(join(installed, "src")), "sources are not published");
  assert.ok(!existsSync(join(installed, "dist", "cli")), "tsc's output is not published");
});

test("the installed slipway prints its help and a command's help", () => {
  const help = slipway(["--help"]);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: slipway \[options\] \[command\]$/m);
  assert.match(help.stdout, /^ {2}validate \[options\] +Check an app's slipway\.yaml/m);
  for (const command of ["deploy", "check", "secrets", "export"]) {
    const own = slipway([command, "--help"]);
    assert.equal(own.status, 0, own.stderr);
    assert.match(own.stdout, new RegExp(`^Usage: slipway ${command} `, "m"));
  }
});

test("the installed slipway validates, renders and checks the cart example", () => {
  const validate = slipway(["validate", ...onCart]);
  assert.equal(validate.status, 0, validate.stderr);
  assert.match(validate.stdout, /^ok: .*slipway\.platform\.yaml, .*cart\/slipway\.yaml$/m);

  const render = slipway(["render", ...onCart, "--target", "stable", "--image", image]);
  assert.equal(render.status, 0, render.stderr);
  const objects = render.stdout
    .split(/^---$/m)
    .map((d) => parse(d) as { kind?: string; spec?: unknown } | null)
    .filter((o) => o?.kind !== undefined);
  const deployment = objects.find((o) => o?.kind === "Deployment");
  assert.ok(deployment, render.stdout);
  assert.match(JSON.stringify(deployment), new RegExp(`"image":"${image}"`));

  const check = slipway(["check", ...onCart, "--target", "stable", "--image", image]);
  assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
  assert.match(check.stdout, new RegExp(`^${objects.length} objects, \\d+ rules: 0 errors.*passed$`, "m"));

  // A renderer error still reads as one (the bundled schemas and errors keep their codes).
  const wrongImage = slipway(["render", ...onCart, "--target", "stable", "--image", "nginx:latest"]);
  assert.equal(wrongImage.status, 2, wrongImage.stderr);
  assert.match(wrongImage.stderr, /^error: /m);
  assert.doesNotMatch(wrongImage.stderr, /internal error|\n\s+at /);
});

test("validate, render and check keep a code cache that later runs use, and refuse a damaged one", () => {
  const cacheHome = join(root, "code-cache-test");
  const codeCache = join(cacheHome, "slipway", "code-cache");
  const render = () =>
    slipway(["render", ...onCart, "--target", "stable", "--image", image], { XDG_CACHE_HOME: cacheHome });
  const cacheFiles = () => (existsSync(codeCache) ? readdirSync(codeCache) : []);

  const first = render();
  assert.equal(first.status, 0, first.stderr);
  const [written, ...others] = cacheFiles();
  assert.ok(written?.startsWith("render-") && others.length === 0, `cache files: ${cacheFiles()}`);
  const file = join(codeCache, written ?? "");
  const size = statSync(file).size;
  assert.ok(size > 100_000, `a cache of ${size} bytes holds little of the render`);

  // Used as it is: the same output, the cache not written again.
  const before = statSync(file).mtimeMs;
  const second = render();
  assert.equal(second.stdout, first.stdout);
  assert.equal(statSync(file).mtimeMs, before);

  // A damaged cache is refused by V8 and written anew; the output does not change.
  const garbage = randomBytes(size);
  writeFileSync(file, garbage);
  const third = render();
  assert.equal(third.status, 0, third.stderr);
  assert.equal(third.stdout, first.stdout);
  assert.ok(!readFileSync(file).equals(garbage), "the damaged cache was kept");
  const fourth = render();
  assert.equal(fourth.stdout, first.stdout);

  for (const command of ["validate", "check"]) {
    const args = command === "check" ? ["--target", "stable", "--image", image] : [];
    const run = slipway([command, ...onCart, ...args], { XDG_CACHE_HOME: cacheHome });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    assert.ok(
      cacheFiles().some((f) => f.startsWith(`${command}-`)),
      `cache files: ${cacheFiles()}`,
    );
  }

  // NODE_DISABLE_COMPILE_CACHE=1 turns it off, as it does Node's own.
  const off = join(root, "code-cache-off");
  const disabled = slipway(["validate", ...onCart], { XDG_CACHE_HOME: off, NODE_DISABLE_COMPILE_CACHE: "1" });
  assert.equal(disabled.status, 0, disabled.stderr);
  assert.ok(!existsSync(join(off, "slipway")));
});

test("a help text or a render that stops early writes no code cache; the next whole render does", () => {
  // Every later run takes a cache as it is: one written by `render --help` would leave each render
  // compiling the renderer again.
  const cacheHome = join(root, "code-cache-partial");
  const codeCache = join(cacheHome, "slipway", "code-cache");
  const cacheFiles = () => (existsSync(codeCache) ? readdirSync(codeCache) : []);
  const env = { XDG_CACHE_HOME: cacheHome };
  const help = slipway(["render", "--help"], env);
  assert.equal(help.status, 0, help.stderr);
  const failed = slipway(["render", ...onCart, "--target", "no-such-channel", "--image", image], env);
  assert.notEqual(failed.status, 0, failed.stdout);
  assert.deepEqual(cacheFiles(), [], "a run that stopped early wrote the cache");
  const whole = slipway(["render", ...onCart, "--target", "stable", "--image", image], env);
  assert.equal(whole.status, 0, whole.stderr);
  assert.ok(
    cacheFiles().some((f) => f.startsWith("render-")),
    `cache files: ${cacheFiles()}`,
  );
});

test("the installed slipway exports a Helm chart", () => {
  const out = join(root, "chart");
  const exported = slipway(["export", "helm", ...onCart, "--out", out]);
  assert.equal(exported.status, 0, exported.stderr);
  assert.match(readFileSync(join(out, "Chart.yaml"), "utf8"), /^name: cart$/m);
  assert.ok(existsSync(join(out, "values-stable.yaml")));
});

test("the installed slipway serves its API with the demo apps (SQLite, GitOps directory)", async (t) => {
  const server = spawn(
    process.execPath,
    [
      bin,
      "serve",
      "--demo",
      "--examples",
      examples,
      "--listen",
      "127.0.0.1:0",
      "--data",
      join(root, "server"),
    ],
    { cwd: project, env: withoutPlatform, stdio: ["ignore", "pipe", "pipe"] },
  );
  t.after(() => server.kill());
  let output = "";
  server.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  server.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = once(server, "exit");
  while (!/listening on http:\/\/[\d.:]+\n[\s\S]*slw_[\w-]+\n/.test(output)) {
    const stopped = await Promise.race([exited, new Promise((r) => setTimeout(r, 100, undefined))]);
    assert.equal(stopped, undefined, `serve exited: ${output}`);
  }
  const url = /listening on (http:\/\/[\d.:]+)/.exec(output)?.[1];
  const token = /slw_[\w-]+/.exec(output)?.[0];
  assert.equal((await fetch(`${url}/readyz`)).status, 200);
  const apps = await fetch(`${url}/api/v1/apps`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(apps.status, 200);
  assert.match(await apps.text(), /"cart"/);
});

test("a render loads only the package's own bundle, none of its dependencies' modules", () => {
  const hook = `import { registerHooks } from "node:module";
const seen = [];
registerHooks({ load(url, context, next) { if (url.startsWith("file:")) seen.push(url); return next(url, context); } });
process.on("exit", () => process.stderr.write("\\nLOADED " + JSON.stringify(seen) + "\\n"));`;
  const result = spawnSync(
    process.execPath,
    [
      "--import",
      `data:text/javascript,${encodeURIComponent(hook)}`,
      bin,
      "render",
      ...onCart,
      "--target",
      "stable",
      "--image",
      image,
    ],
    { cwd: project, encoding: "utf8", env: { ...process.env, XDG_CACHE_HOME: join(root, "cache") } },
  );
  assert.equal(result.status, 0, result.stderr);
  const line = result.stderr.split("\n").find((l) => l.startsWith("LOADED "));
  assert.ok(line, result.stderr);
  const loaded = (JSON.parse(line.slice("LOADED ".length)) as string[]).map((url) => fileURLToPath(url));
  const outside = loaded.filter(
    (file) => file !== bin && !file.startsWith(`${join(installed, "dist", "bundle")}/`),
  );
  assert.deepEqual(outside, []);
  // A few dozen files, where the compiled modules were about 500.
  assert.ok(loaded.length < 60, `${loaded.length} files loaded`);
});

test("the installed slipway deploys the cart example to a cluster, secrets decrypted", (t) => {
  const kubeconfig = testKubeconfig();
  const context = String(
    (parse(readFileSync(kubeconfig, "utf8")) as { "current-context": string })["current-context"],
  );
  const platform = join(root, "cluster.platform.yaml");
  writeFileSync(
    platform,
    [
      "apiVersion: slipway.dev/v1",
      "kind: Platform",
      "clusters:",
      `  - { name: test, kubeconfig: { context: ${JSON.stringify(context)}, path: ${JSON.stringify(kubeconfig)} } }`,
      "channels:",
      "  - { name: stable, cluster: test, domain: example.com }",
      "previews: { cluster: test, domain: preview.example.com, ttl: 1h }",
      "teams:",
      "  - name: commerce",
      "",
    ].join("\n"),
  );
  const branch = `pkg-${randomBytes(3).toString("hex")}`;
  const namespace = `cart-pr-${branch}`;
  const kubectl = (...args: string[]) =>
    execFileSync(peerPath("kubectl"), ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8" });
  t.after(() => kubectl("delete", "namespace", namespace, "--wait=false"));

  const deploy = slipway(
    [
      "deploy",
      "--app",
      join(examples, "cart"),
      "--platform",
      platform,
      "--target",
      `preview:${branch}`,
      "--image",
      image,
      "--wait",
    ],
    { SOPS_AGE_KEY_FILE: join(examples, "demo-age-key.txt") },
  );
  assert.equal(deploy.status, 0, `${deploy.stdout}\n${deploy.stderr}`);
  assert.match(deploy.stdout, new RegExp(`^\\[\\d+\\.\\ds\\] Deployment/${namespace}/cart 1/1 ready$`, "m"));
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
    image,
  );
  // The example's SOPS file arrives decrypted: its DATABASE_URL, not its ciphertext.
  const secrets = JSON.parse(kubectl("get", "secrets", "-n", namespace, "-o", "json")) as {
    items: { data?: Record<string, string> }[];
  };
  const urls = secrets.items
    .map((s) => s.data?.DATABASE_URL)
    .filter((v) => v !== undefined)
    .map((v) => Buffer.from(v, "base64").toString());
  assert.equal(urls.length, 1, "one Secret holds the app's DATABASE_URL");
  assert.match(urls[0] ?? "", /^mysql:\/\/cart/);
});
