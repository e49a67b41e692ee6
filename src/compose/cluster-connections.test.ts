/**
 * The server keeps one connection per cluster between deployments: reused while the kubeconfig is
 * unchanged, made again when it changed on disk, and never kept when connecting failed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeCluster } from "../cluster/kube-cluster.ts";
import { ClusterConnections } from "./deploy-targets.ts";

const fake = (n: number) => ({ n }) as unknown as KubeCluster;

test("a cluster's connection is reused while its kubeconfig is unchanged, and made again once it changed", async () => {
  const connections = new ClusterConnections();
  let made = 0;
  const connect = async () => fake(++made);
  const first = await connections.get("kc\nctx", "stamp-1", connect);
  assert.equal(await connections.get("kc\nctx", "stamp-1", connect), first);
  assert.equal(made, 1);
  const other = await connections.get("kc\nother-ctx", "stamp-1", connect);
  assert.notEqual(other, first);
  const rotated = await connections.get("kc\nctx", "stamp-2", connect);
  assert.notEqual(rotated, first);
  assert.equal(made, 3);
});

test("a connection that failed is not kept: the next deployment tries again", async () => {
  const connections = new ClusterConnections();
  let tries = 0;
  const connect = async () => {
    tries++;
    if (tries === 1) throw new Error("refused");
    return fake(tries);
  };
  await assert.rejects(connections.get("kc\nctx", "s", connect), /refused/);
  assert.deepEqual(await connections.get("kc\nctx", "s", connect), fake(2));
  assert.equal(tries, 2);
});
