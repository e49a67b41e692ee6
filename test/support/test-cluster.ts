/**
 * For test files that need the real control plane. Importing this module is also what tells
 * test/global-setup.ts to start the cluster when only some test files are run.
 *
 *   const kubeconfig = testKubeconfig();   // path of the admin kubeconfig
 */
import { existsSync } from "node:fs";

export function testKubeconfig(): string {
  const path = process.env.SLIPWAY_TEST_KUBECONFIG;
  if (!path || !existsSync(path)) {
    throw new Error(
      "the test cluster is not running: run tests through `npm test` (its global setup starts the cluster), " +
        "or start it with `npm run testcluster -- up` and set SLIPWAY_TEST_KUBECONFIG=.testcluster/kubeconfig",
    );
  }
  return path;
}
