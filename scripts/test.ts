/**
 * The whole test suite, the one command the README and CI run (`npm test`):
 * formatter and linter, type check, then every unit, HTTP and end-to-end test under Node's test
 * runner. The real peers (sops, age, helm, kube-score, the test control plane) are built first by
 * `scripts/install-tools.sh` (cached); a test that needs one and cannot find it fails and names
 * `npm run tools`.
 */
import { spawnSync } from "node:child_process";

function run(title: string, command: string, args: string[]): void {
  console.log(`\n== ${title}: ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`\n${title} failed (exit ${result.status ?? result.signal}).`);
    process.exit(result.status ?? 1);
  }
}

const only = process.argv.slice(2);
if (only.length === 0) {
  // Idempotent and quick when cached; on a fresh machine it builds the peers (minutes, once).
  run("real peers", "bash", ["scripts/install-tools.sh"]);
  run("format and lint", "npx", ["biome", "ci", "."]);
  run("type check", "npx", ["tsc", "-p", "tsconfig.json", "--noEmit"]);
}
run("tests", process.execPath, [
  "--test",
  "--test-concurrency=2",
  "--test-timeout=600000",
  "--test-global-setup=test/global-setup.ts",
  ...(only.length > 0 ? only : ["src/**/*.test.ts", "test/**/*.test.ts"]),
]);
