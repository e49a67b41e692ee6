/**
 * CLI start-up benchmark: the wall time of whole `slipway` commands as users run them, beside
 * `helm --help` and `kubectl version --client` in the same run. Every command pays Node's start
 * and its module loading before it does anything, so this is the floor of every CLI figure.
 *
 * The measured slipway is the package as `npm pack` ships it: the CLI bundle `npm run build`
 * writes to `dist/bundle/` (`--skip-build` packs it as it is), unpacked into a temporary
 * `node_modules/slipway` whose dependencies are this checkout's (the lockfile's versions), and run
 * through its `bin/slipway.js` with the pinned Node. The command
 * runs are interleaved (one of each per round) so that a busy machine slows every side alike; the
 * first rounds warm the disk and Node's compile cache, as a user's earlier runs would have.
 *
 *   npm run bench -- cli [--runs 21] [--warmup 3] [--skip-build]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadAppAndPlatform } from "../src/spec/files.ts";
import { layerToolPath } from "../src/testing/layer-tools.ts";
import { hasPeer, peerPath, peerVersion } from "../src/testing/peers.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "21" },
    warmup: { type: "string", default: "3" },
    "skip-build": { type: "boolean", default: false },
  },
});
const RUNS = Number(values.runs);
const WARMUP = Number(values.warmup);
const checkout = fileURLToPath(new URL("..", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "slipway-bench-cli-"));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));

// The package as users install it.
if (!values["skip-build"]) execFileSync("npm", ["run", "build"], { cwd: checkout, stdio: "inherit" });
execFileSync("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", root], {
  cwd: checkout,
  stdio: ["ignore", "ignore", "inherit"],
});
const tarball = readdirSync(root).find((f) => f.endsWith(".tgz"));
if (tarball === undefined) throw new Error(`npm pack wrote no tarball into ${root}`);
const installed = join(root, "node_modules", "slipway");
mkdirSync(installed, { recursive: true });
execFileSync("tar", ["xzf", join(root, tarball), "-C", installed, "--strip-components=1"]);
symlinkSync(join(checkout, "node_modules"), join(installed, "node_modules"));
const bin = join(installed, "bin", "slipway.js");

// The cart example on the examples' platform file (five channels, a route, SOPS secrets beside
// it), pinned to an image so every channel renders.
const examples = join(checkout, "examples");
const appDir = join(examples, "cart");
const platformFile = join(examples, "slipway.platform.yaml");
const { app, platform } = loadAppAndPlatform(appDir, platformFile);
const channel = platform.platform.channels.at(-1)?.name ?? "production";
const image = `${app.spec.image.repository}@sha256:${"a".repeat(64)}`;
const onApp = ["--app", appDir, "--platform", platformFile, "--target", channel, "--image", image];

const peer = (name: "helm" | "kubectl") => (hasPeer(name) ? peerPath(name) : layerToolPath(name));
const peerLabel = (name: "helm" | "kubectl") =>
  hasPeer(name) ? `${name} ${peerVersion(name)}` : `${name} (from the lambda layer)`;

interface Case {
  key: string;
  label: string;
  command: string;
  args: string[];
}
const node = process.execPath;
const cases: Case[] = [
  { key: "node_ms", label: "node -e 0", command: node, args: ["-e", "0"] },
  { key: "cli_help_ms", label: "slipway --help", command: node, args: [bin, "--help"] },
  { key: "cli_cmd_help_ms", label: "slipway render --help", command: node, args: [bin, "render", "--help"] },
  { key: "cli_check_help_ms", label: "slipway check --help", command: node, args: [bin, "check", "--help"] },
  {
    key: "cli_secrets_help_ms",
    label: "slipway secrets --help",
    command: node,
    args: [bin, "secrets", "--help"],
  },
  {
    key: "cli_validate_ms",
    label: "slipway validate --app",
    command: node,
    args: [bin, "validate", "--app", appDir, "--platform", platformFile],
  },
  {
    key: "cli_render_ms",
    label: `slipway render (${channel})`,
    command: node,
    args: [bin, "render", ...onApp],
  },
  {
    key: "cli_check_ms",
    label: `slipway check --app (${channel})`,
    command: node,
    args: [bin, "check", ...onApp],
  },
  { key: "helm_help_ms", label: `${peerLabel("helm")} --help`, command: peer("helm"), args: ["--help"] },
  {
    key: "kubectl_version_ms",
    label: `${peerLabel("kubectl")} version --client`,
    command: peer("kubectl"),
    args: ["version", "--client"],
  },
];

// A private temporary directory, where bin/slipway.js keeps Node's compile cache, and a private
// cache directory, where it keeps the code cache of validate, render and check: a cache left by
// other runs does not flatter the first rounds, and a build without the cache is not given one.
// The warm-up rounds write both, as a user's first run does; the figures are warm runs.
const env: NodeJS.ProcessEnv = {
  ...process.env,
  TMPDIR: join(root, "tmp"),
  XDG_CACHE_HOME: join(root, "cache"),
};
delete env.NODE_COMPILE_CACHE;
mkdirSync(join(root, "tmp"));
function wallMs(c: Case): number {
  const start = performance.now();
  const result = spawnSync(c.command, c.args, { cwd: root, env, stdio: ["ignore", "ignore", "pipe"] });
  const ms = performance.now() - start;
  // `check` exits 1 when a rule fails; anything else is a broken benchmark, not a figure.
  if (result.status !== 0 && !(c.key === "cli_check_ms" && result.status === 1)) {
    throw new Error(`${c.label} exited ${result.status}: ${result.stderr.toString()}`);
  }
  return ms;
}

const samples = new Map<string, number[]>(cases.map((c) => [c.key, []]));
for (let round = 0; round < WARMUP + RUNS; round++) {
  for (const c of cases) {
    const ms = wallMs(c);
    if (round >= WARMUP) samples.get(c.key)?.push(ms);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[(s.length - 1) / 2] ?? 0)
    : ((s[s.length / 2 - 1] ?? 0) + (s[s.length / 2] ?? 0)) / 2;
};
const figures = Object.fromEntries(
  cases.map((c) => [c.key, Number(median(samples.get(c.key) ?? []).toFixed(1))]),
);
const helm = figures.helm_help_ms ?? 1;
const targets: Record<string, number> = {
  cli_help_ms: 100,
  cli_cmd_help_ms: 100,
  cli_check_help_ms: 100,
  cli_secrets_help_ms: 100,
  cli_validate_ms: 150,
  cli_render_ms: 150,
  cli_check_ms: 150,
};

console.log(`cli start-up: median wall of ${RUNS} runs each (after ${WARMUP} warm-up rounds), interleaved`);
for (const c of cases) {
  const ms = figures[c.key] ?? 0;
  const target = targets[c.key];
  console.log(
    `  ${c.label.padEnd(44)} ${ms.toFixed(0).padStart(5)} ms  ${(ms / helm).toFixed(1).padStart(5)}× helm --help` +
      (target === undefined ? "" : `  (target ≤ ${target} ms: ${ms <= target ? "met" : "missed"})`),
  );
}
console.log(JSON.stringify({ bench: "cli", runs: RUNS, ...figures }));
