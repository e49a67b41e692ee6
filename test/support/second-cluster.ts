/**
 * For test files that need two clusters (channels on different clusters). Importing this module
 * is what tells test/global-setup.ts to start the second cluster (test/cluster/second.ts) beside
 * the first; both stay up for the next run like the first.
 *
 *   const c = testClusters();
 *   c.kubeconfig           // "<first>:<second>", as an operator's $KUBECONFIG lists them
 *   c.first.context        // "slipway-test"
 *   c.second.context       // "slipway-test-second"
 */
import { existsSync } from "node:fs";
import { delimiter } from "node:path";
import { FIRST_CONTEXT, SECOND_CONTEXT } from "../cluster/layout.ts";
import { testKubeconfig } from "./test-cluster.ts";

export interface TestClusterRef {
  /** That cluster's own admin kubeconfig (kubectl --kubeconfig). */
  readonly kubeconfig: string;
  readonly context: string;
}

export interface TestClusters {
  /** Both kubeconfig files as one $KUBECONFIG list; each context names one cluster. */
  readonly kubeconfig: string;
  readonly first: TestClusterRef;
  readonly second: TestClusterRef;
}

export function testClusters(): TestClusters {
  const first = testKubeconfig();
  const second = process.env.SLIPWAY_TEST_SECOND_KUBECONFIG;
  if (!second || !existsSync(second)) {
    throw new Error(
      "the second test cluster is not running: run tests through `npm test` (its global setup starts it for files " +
        "that import test/support/second-cluster.ts), or start it with `npm run testcluster -- up --clusters 2` and set " +
        "SLIPWAY_TEST_SECOND_KUBECONFIG=.testcluster/second/kubeconfig",
    );
  }
  return {
    kubeconfig: [first, second].join(delimiter),
    first: { kubeconfig: first, context: FIRST_CONTEXT },
    second: { kubeconfig: second, context: SECOND_CONTEXT },
  };
}
