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
import { createNamespace, deleteNamespace, kubectlJson } from "./cluster-fixtures.ts";
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

/** An app's Deployments on one cluster, as kubectl there sees them: `namespace/name image`, sorted. */
export function deploymentsOf(cluster: TestClusterRef, app: string): string[] {
  const list = kubectlJson<{
    items: {
      metadata: { namespace: string; name: string };
      spec: { template: { spec: { containers: { image: string }[] } } };
    }[];
  }>(cluster.kubeconfig, ["get", "deployments", "--all-namespaces", "-l", `slipway.dev/app=${app}`]);
  return list.items
    .map((d) => `${d.metadata.namespace}/${d.metadata.name} ${d.spec.template.spec.containers[0]?.image}`)
    .sort();
}

/** Every object of the app on one cluster (namespaced kinds Slipway renders): `Kind namespace/name`, sorted. */
export function objectsOf(cluster: TestClusterRef, app: string): string[] {
  const kinds =
    "serviceaccounts,configmaps,secrets,services,deployments.apps,networkpolicies.networking.k8s.io,poddisruptionbudgets.policy,horizontalpodautoscalers.autoscaling,ingresses.networking.k8s.io";
  const list = kubectlJson<{ items: { kind: string; metadata: { namespace: string; name: string } }[] }>(
    cluster.kubeconfig,
    ["get", kinds, "--all-namespaces", "-l", `slipway.dev/app=${app}`],
  );
  return list.items.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`).sort();
}

/**
 * Channel namespaces are the platform team's (Slipway creates only a preview's): made here on
 * every cluster, so that a deploy sent to the wrong cluster would succeed there and be seen.
 */
export function channelNamespaces(cluster: TestClusterRef, app: string, channels: readonly string[]): void {
  for (const channel of channels) createNamespace(cluster.kubeconfig, `${app}-${channel}`);
}

export function deleteChannelNamespaces(
  cluster: TestClusterRef,
  app: string,
  channels: readonly string[],
): void {
  for (const channel of channels) deleteNamespace(cluster.kubeconfig, `${app}-${channel}`);
}

/** A small app that passes the default policy: one Deployment and a Service, no secrets. */
export function appSpec(name: string, team: string, repository: string): string {
  return [
    "apiVersion: slipway.dev/v1",
    "kind: App",
    `name: ${name}`,
    `team: ${team}`,
    `image: { repository: ${repository} }`,
    "ports: [{ name: http, port: 8080 }]",
    "replicas: 1",
    "resources: { requests: { cpu: 10m, memory: 32Mi }, limits: { memory: 64Mi } }",
    "health:",
    "  readiness: { http: { path: /ready, port: http } }",
    "  liveness: { http: { path: /healthz, port: http } }",
    "",
  ].join("\n");
}
