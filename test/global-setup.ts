/**
 * Runs once before the test files. Starts the test control plane when the run needs it and it is
 * not already running (binaries come from `npm run tools`; when they are missing this fails with
 * that command) and hands its kubeconfig to test files in SLIPWAY_TEST_KUBECONFIG.
 *
 * A run needs the cluster when it is the whole suite, or when one of the named test files imports
 * test/support/test-cluster.ts — so `npm test -- src/spec/x.test.ts` does not pay for it.
 *
 * The cluster is left running afterwards so the next run starts in seconds and concurrent runs
 * share it; stop it with `npm run testcluster -- down`. In CI (CI=true) a cluster that this run
 * started is stopped at the end.
 */
import { readFileSync } from "node:fs";
import { layout } from "./cluster/layout.ts";
import { down, up } from "./cluster/lifecycle.ts";

let startedHere = false;

function runNeedsCluster(argv: readonly string[]): boolean {
  const files = argv.slice(1).filter((a) => !a.startsWith("-"));
  if (files.length === 0 || files.some((f) => f.includes("*"))) return true;
  return files.some((f) => readFileSync(f, "utf8").includes("support/test-cluster.ts"));
}

export async function globalSetup(): Promise<void> {
  if (!runNeedsCluster(process.argv)) return;
  const l = layout();
  const before = Date.now();
  const state = await up(l, {
    nodes: 3,
    pods: "fast",
    log: (line) => console.error(`[testcluster] ${line}`),
  });
  startedHere = Date.parse(state.startedAt) >= before;
  process.env.SLIPWAY_TEST_KUBECONFIG = state.kubeconfig;
}

export async function globalTeardown(): Promise<void> {
  if (startedHere && process.env.CI === "true") await down(layout());
}
