/**
 * `npm run bench -- apply [--apps 200]`: Slipway's server-side apply against the real
 * `kubectl apply --server-side` (v1.37.2, built with the test control plane), same manifests,
 * same cluster, same run. kubectl runs once per app, as a CI script would; Slipway applies the
 * whole channel in one call. Three rounds: first apply; unchanged re-apply; one app changed.
 * Each side runs its rounds on a cluster holding only its own copy (kubectl's is deleted before
 * Slipway's starts). Then a drift check: an object edited behind Slipway's back must be found and re-applied.
 * Writes are counted by the real kubectl as referee (resourceVersions before and after).
 * The last line is one JSON object with the figures.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { ClusterApplyRequest } from "../src/cluster/cluster.ts";
import { KubeCluster } from "../src/cluster/kube-cluster.ts";
import type { KubeObject } from "../src/core/kube-object.ts";
import { objectsToYaml } from "../src/render/yaml-output.ts";
import { peerPath } from "../src/testing/peers.ts";
import { layout } from "../test/cluster/layout.ts";
import { up } from "../test/cluster/lifecycle.ts";
import { type BenchApp, generateApps } from "./lib-apps.ts";

const { values } = parseArgs({ options: { apps: { type: "string", default: "200" } } });
const APPS = Number(values.apps);
const TEAMS = 10;
const TARGET = "staging";
const KUBECTL_TARGET = "bench-kubectl";
const KINDS =
  "serviceaccounts,configmaps,secrets,services,deployments.apps,horizontalpodautoscalers.autoscaling,poddisruptionbudgets.policy,ingresses.networking.k8s.io,networkpolicies.networking.k8s.io";

const l = layout();
const state = await up(l, { nodes: 3, pods: "fast", log: (s) => console.error(`[testcluster] ${s}`) });
const kubeconfig = state.kubeconfig;
const kubectl = peerPath("kubectl");
const run = Date.now().toString(36).slice(-5);
const work = mkdtempSync(join(tmpdir(), "slipway-bench-apply-"));

function kubectlRun(args: string[], input?: string): string {
  const res = spawnSync(kubectl, ["--kubeconfig", kubeconfig, ...args], {
    encoding: "utf8",
    input,
    maxBuffer: 1 << 28,
  });
  if (res.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${res.stderr}`);
  return res.stdout;
}

/** The kubectl copy lives in other namespaces under another target label, so the two never meet. */
function forKubectl(apps: BenchApp[]): BenchApp[] {
  return apps.map((a) => ({
    ...a,
    objects: a.objects.map((o) => ({
      ...o,
      metadata: { ...o.metadata, labels: { ...o.metadata.labels, "slipway.dev/target": KUBECTL_TARGET } },
    })),
  }));
}

function writeManifests(apps: BenchApp[], dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return apps.map((a) => {
    const file = join(dir, `${a.name}.yaml`);
    writeFileSync(file, objectsToYaml(a.objects));
    return file;
  });
}

function kubectlApplyAll(files: string[]): number {
  const t0 = performance.now();
  for (const f of files) kubectlRun(["apply", "--server-side", "-f", f]);
  return (performance.now() - t0) / 1000;
}

async function slipwayApply(apps: BenchApp[]) {
  const t0 = performance.now();
  const cluster = await KubeCluster.connect({ kubeconfig });
  const requests: ClusterApplyRequest[] = apps.map((a) => ({
    scope: { app: a.name, target: TARGET },
    objects: a.objects,
    prune: true,
    wait: false,
    release: { commit: "bench", image: "registry.example.com/bench@sha256:0" },
  }));
  const result = await cluster.applyAll(requests);
  return { seconds: (performance.now() - t0) / 1000, result };
}

/**
 * When Slipway last changed each object, read by kubectl: the time of Slipway's managedFields
 * entry, which the API server moves only when that manager's apply changed the object. (A bare
 * resourceVersion also moves with controllers' writes: status updates, the HPA scaling a
 * Deployment.) Rounds are seconds apart, so the entry's one-second resolution is enough.
 */
function versions(target: string, namespaces: Set<string>): Map<string, string> {
  const list = JSON.parse(
    kubectlRun([
      "get",
      KINDS,
      "-A",
      "-l",
      `slipway.dev/target=${target}`,
      "-o",
      "json",
      "--show-managed-fields",
    ]),
  ) as { items: KubeObject[] };
  const out = new Map<string, string>();
  for (const o of list.items) {
    if (!namespaces.has(o.metadata.namespace ?? "")) continue;
    const mine = (o.metadata.managedFields as { manager: string; time?: string }[] | undefined)?.find(
      (m) => m.manager === "slipway",
    );
    out.set(`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`, mine?.time ?? "");
  }
  return out;
}

function changedCount(before: Map<string, string>, after: Map<string, string>): number {
  let n = 0;
  for (const [ref, rv] of after) if (before.get(ref) !== rv) n++;
  for (const ref of before.keys()) if (!after.has(ref)) n++;
  return n;
}

/** Seconds until every Deployment of `target` is available (at most 120 s). */
async function settle(target: string, expected: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const list = JSON.parse(
      kubectlRun(["get", "deployments.apps", "-A", "-l", `slipway.dev/target=${target}`, "-o", "json"]),
    ) as { items: { spec?: { replicas?: number }; status?: { availableReplicas?: number } }[] };
    const available = list.items.filter(
      (d) => (d.status?.availableReplicas ?? 0) >= (d.spec?.replicas ?? 1),
    ).length;
    if (available >= expected) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > 120_000) {
      throw new Error(`only ${available} of ${expected} Deployments of ${target} became available in 120 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const fmt = (s: number) => s.toFixed(2).padStart(7);
const rows: string[] = [];
function row(name: string, objects: number, kubectlS: number, slipwayS: number, writes: number) {
  const line = `${name.padEnd(22)} kubectl ${fmt(kubectlS)} s  slipway ${fmt(slipwayS)} s  ×${(kubectlS / slipwayS).toFixed(1).padStart(6)}  ${Math.round(
    objects / kubectlS,
  )
    .toString()
    .padStart(6)} vs ${Math.round(objects / slipwayS)
    .toString()
    .padStart(6)} obj/s  slipway writes ${writes}`;
  rows.push(line);
  console.log(line);
}

/** Namespaces of one side, created up front (a CI script's namespaces exist before it applies). */
function createNamespaces(namespaces: Set<string>): void {
  kubectlRun(
    ["create", "-f", "-"],
    [...namespaces].map((n) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${n}\n`).join("---\n"),
  );
}

/** Deletes one side's namespaces and waits until they and everything in them are gone. */
function removeNamespaces(namespaces: Set<string>): number {
  const t0 = performance.now();
  kubectlRun(["delete", "namespace", "--wait=true", "--timeout=600s", ...namespaces]);
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const UNCHANGED_RUNS = 5;

try {
  const slipwayApps = generateApps(APPS, TEAMS, `-s${run}`);
  const kubectlApps = forKubectl(generateApps(APPS, TEAMS, `-k${run}`));
  const objects = slipwayApps.reduce((n, a) => n + a.objects.length, 0);
  const sNs = new Set(slipwayApps.map((a) => a.namespace));
  const kNs = new Set(kubectlApps.map((a) => a.namespace));
  console.log(`${APPS} apps, ${objects} objects per side, ${TEAMS} namespaces per side; kubectl ${kubectl}`);
  const kFiles = writeManifests(kubectlApps, join(work, "kubectl"));
  const changedApp = slipwayApps[Math.floor(APPS / 2)]?.name ?? "app-000";
  const kChangedFiles = writeManifests(
    forKubectl(generateApps(APPS, TEAMS, `-k${run}`, changedApp)),
    join(work, "kubectl-changed"),
  );

  // Each side runs its three rounds on a cluster holding only its own 200 apps, as a cluster
  // running these apps would: with both copies present, each side's rounds also paid for the
  // controllers reconciling the other's 200 autoscalers and 400 pods on the same two cores.
  // kubectl goes first; its namespaces are deleted, and gone, before Slipway starts.
  createNamespaces(kNs);
  const kFirst = kubectlApplyAll(kFiles);
  const kSettled = await settle(KUBECTL_TARGET, APPS);
  console.log(`kubectl's ${APPS} Deployments available ${kSettled.toFixed(1)} s after its apply`);
  const kUnchanged = kubectlApplyAll(kFiles);
  const kOne = kubectlApplyAll(kChangedFiles);
  console.log(`kubectl's copy removed in ${removeNamespaces(kNs).toFixed(1)} s`);

  // 1. First apply.
  createNamespaces(sNs);
  const sFirst = await slipwayApply(slipwayApps);
  const afterFirst = versions(TARGET, sNs);
  if (afterFirst.size !== objects)
    throw new Error(`expected ${objects} objects after the first apply, kubectl sees ${afterFirst.size}`);
  row("first apply", objects, kFirst, sFirst.seconds, sFirst.result.stats.writes);
  const sSettled = await settle(TARGET, APPS);
  console.log(`Slipway's ${APPS} Deployments available ${sSettled.toFixed(1)} s after its apply`);

  // 2. Unchanged re-apply, several times a second apart (the controllers' periodic work comes and
  // goes): zero writes each time, checked by kubectl; the median is the figure.
  const unchangedTimes: number[] = [];
  let unchangedWrites = 0;
  let unchangedRequests = 0;
  for (let i = 0; i < UNCHANGED_RUNS; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 1_000));
    const one = await slipwayApply(slipwayApps);
    unchangedTimes.push(one.seconds);
    unchangedRequests = one.result.stats.requests;
    unchangedWrites += one.result.stats.writes;
  }
  const afterUnchanged = versions(TARGET, sNs);
  unchangedWrites = Math.max(unchangedWrites, changedCount(afterFirst, afterUnchanged));
  const sUnchanged = median(unchangedTimes);
  row("unchanged re-apply", objects, kUnchanged, sUnchanged, unchangedWrites);
  console.log(
    `  slipway unchanged runs: ${unchangedTimes.map((t) => t.toFixed(2)).join(", ")} s (median above)`,
  );

  // 3. One app of the 200 changed (one env value): kubectl re-ran its per-app loop; Slipway the channel.
  const sChanged = generateApps(APPS, TEAMS, `-s${run}`, changedApp);
  const sOne = await slipwayApply(sChanged);
  const afterOne = versions(TARGET, sNs);
  const oneWrites = changedCount(afterUnchanged, afterOne);
  const wrongOnes = [...afterOne].filter(
    ([ref, rv]) => afterUnchanged.get(ref) !== rv && !ref.includes(`/${changedApp}`),
  );
  row(`one app changed`, objects, kOne, sOne.seconds, oneWrites);
  if (wrongOnes.length > 0)
    throw new Error(`objects of other apps were written: ${wrongOnes.map(([r]) => r).join(", ")}`);

  // 4. Drift: edit one object behind Slipway's back; the next unchanged apply must restore it.
  const victim = sChanged[3];
  if (!victim) throw new Error("no app to tamper with");
  kubectlRun([
    "-n",
    victim.namespace,
    "patch",
    "configmap",
    `${victim.name}-flags`,
    "--type",
    "merge",
    "-p",
    '{"data":{"flags.yaml":"tampered: true\\n"}}',
  ]);
  const sDrift = await slipwayApply(sChanged);
  const restored = JSON.parse(
    kubectlRun(["-n", victim.namespace, "get", "configmap", `${victim.name}-flags`, "-o", "json"]),
  ) as {
    data: Record<string, string>;
  };
  const driftFixed =
    !restored.data["flags.yaml"]?.includes("tampered") && sDrift.result.stats.drifted.length === 1;
  console.log(
    `drift: ${sDrift.result.stats.drifted.join(", ") || "none found"}; re-applied in ${sDrift.seconds.toFixed(2)} s with ${sDrift.result.stats.writes} write(s); restored: ${driftFixed}`,
  );

  const figures = {
    bench: "apply",
    apps: APPS,
    objects,
    kubectl_version: "v1.37.2",
    kubectl_first_s: round(kFirst),
    slipway_first_s: round(sFirst.seconds),
    first_ratio: round(kFirst / sFirst.seconds),
    kubectl_unchanged_s: round(kUnchanged),
    slipway_unchanged_s: round(sUnchanged),
    slipway_unchanged_runs_s: unchangedTimes.map(round),
    unchanged_ratio: round(kUnchanged / sUnchanged),
    unchanged_writes: unchangedWrites,
    slipway_unchanged_requests: unchangedRequests,
    kubectl_one_app_s: round(kOne),
    slipway_one_app_s: round(sOne.seconds),
    one_app_ratio: round(kOne / sOne.seconds),
    one_app_writes: oneWrites,
    drift_detected_and_restored: driftFixed,
    slipway_drift_s: round(sDrift.seconds),
  };
  console.log(JSON.stringify(figures));
} finally {
  rmSync(work, { recursive: true, force: true });
  // Leave the shared test cluster as we found it; namespace deletion finishes in the background.
  const all = [`-s${run}`, `-k${run}`].flatMap((suffix) =>
    Array.from({ length: TEAMS }, (_, i) => `team${String(i).padStart(2, "0")}-staging${suffix}`),
  );
  spawnSync(
    kubectl,
    ["--kubeconfig", kubeconfig, "delete", "namespace", "--wait=false", "--ignore-not-found", ...all],
    { stdio: "ignore" },
  );
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
