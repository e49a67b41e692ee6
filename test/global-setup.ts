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
 *
 * The second cluster (test/cluster/second.ts, for channels on several clusters) is started the
 * same way, only for the whole suite or a named file that imports test/support/second-cluster.ts;
 * its kubeconfig is in SLIPWAY_TEST_SECOND_KUBECONFIG.
 */
import { readFileSync } from "node:fs";
import { layout } from "./cluster/layout.ts";
import { down, up } from "./cluster/lifecycle.ts";
import { downSecond, upSecond } from "./cluster/second.ts";

let startedHere = false;
let secondStartedHere = false;

function runNeedsCluster(argv: readonly string[], support = "support/test-cluster.ts"): boolean {
  const files = argv.slice(1).filter((a) => !a.startsWith("-"));
  if (files.length === 0 || files.some((f) => f.includes("*"))) return true;
  return files.some((f) => readFileSync(f, "utf8").includes(support));
}

export async function globalSetup(): Promise<void> {
  const needsSecond = runNeedsCluster(process.argv, "support/second-cluster.ts");
  if (!needsSecond && !runNeedsCluster(process.argv)) return;
  const l = layout();
  const before = Date.now();
  const options = {
    nodes: 3,
    pods: "fast",
    log: (line: string) => console.error(`[testcluster] ${line}`),
  } as const;
  const state = await up(l, options);
  startedHere = Date.parse(state.startedAt) >= before;
  process.env.SLIPWAY_TEST_KUBECONFIG = state.kubeconfig;
  if (!needsSecond) return;
  const second = await upSecond(l, options);
  secondStartedHere = Date.parse(second.startedAt) >= before;
  process.env.SLIPWAY_TEST_SECOND_KUBECONFIG = second.kubeconfig;
}

export async function globalTeardown(): Promise<void> {
  if (process.env.CI !== "true") return;
  // down stops the second cluster too; a second cluster started beside a running first one alone.
  if (startedHere) await down(layout());
  else if (secondStartedHere) await downSecond(layout());
}
