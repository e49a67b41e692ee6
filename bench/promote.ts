/**
 * `npm run bench -- promote`: the server's promotion path on the test control plane (kwok `fast`
 * pod stages), side by side with its floor in the same run — Slipway's own cluster adapter applying
 * the same 10 objects directly (no server, no store, no engine).
 *
 * 1. One promotion of a 10-object app, develop → integration, over the HTTP API: from the request
 *    to the deployment's `progressing` event (the objects applied; the pods' start is not counted),
 *    interleaved with direct applies of the same objects (a new image digest each time, as each
 *    promotion brings one). Targets: p95 ≤ 300 ms and ≤ 1.5× the direct apply.
 * 2. 100 promotions of 100 apps sent at once: all complete; the 429s counted (Slipway's answers,
 *    and the API server's own, from its metrics); p95 of request → applied.
 * 3. Merge to stable: a release created → available in the fifth channel, every channel after the
 *    first with `promote: auto` and no soak. Target ≤ 10 s.
 * 4. Three replicas (`slipway serve` processes) on one PostgreSQL against one: the throughput of
 *    200 queued deployments (two rounds of each), and that none was applied twice (one `applying`
 *    each).
 * 5. The API while the engine works: list pages under 100 connections (wrk, else autocannon) while
 *    the server's engine moves deployments through their states at ≥ 50 changes a second, on SQLite
 *    and PostgreSQL. Target p99 ≤ 50 ms. Run first, before the test cluster is up.
 *
 * Each cluster part starts on a quiet cluster: the namespaces of the part before are deleted and
 * waited for (the controllers deleting hundreds of Deployments would otherwise share the two cores
 * with the next part).
 *
 * The last line is one JSON object with the figures.
 *
 * usage: npm run bench -- promote [--samples 40] [--parallel 100] [--jobs 200] [--duration 10]
 *                                 [--only promote,parallel,merge,replicas,api]
 *                                 [--databases sqlite,postgres]   (the API part's databases)
 */
import { parseArgs } from "node:util";
import { apiUnderLoad } from "./lib-promote-api.ts";
import { benchCluster, median, p95 } from "./lib-promote-cluster.ts";
import { mergeToStable, oneApp, parallel, replicas } from "./lib-promote-runs.ts";

const { values } = parseArgs({
  options: {
    samples: { type: "string", default: "40" },
    parallel: { type: "string", default: "100" },
    jobs: { type: "string", default: "200" },
    duration: { type: "string", default: "10" },
    only: { type: "string", default: "promote,parallel,merge,replicas,api" },
    databases: { type: "string", default: "sqlite,postgres" },
  },
});
const only = new Set((values.only ?? "").split(","));
const figures: Record<string, number | string | null> = {};
const fixed = (v: number, digits = 1) => Number(v.toFixed(digits));

// The API part runs its own server without a cluster, first: `--only api` does not bring one up,
// and a test cluster's controllers working through the other parts' apps would be measured too.
if (only.has("api")) {
  const databases = (["sqlite", "postgres"] as const).filter((d) =>
    (values.databases ?? "").split(",").includes(d),
  );
  for (const database of databases) {
    const a = await apiUnderLoad(database, Number(values.duration));
    figures[`api_mixed_p99_ms_${database}`] = fixed(a.p99);
    figures[`api_mixed_p50_ms_${database}`] = fixed(a.p50);
    figures[`api_mixed_rps_${database}`] = Math.round(a.rps);
    figures[`api_mixed_changes_per_s_${database}`] = fixed(a.changesPerSecond);
    console.log(
      `API under load on ${database} (${a.generator}, 100 connections, ${a.path}) while ${a.changesPerSecond.toFixed(0)} status changes/s: p50 ${a.p50.toFixed(1)} ms, p99 ${a.p99.toFixed(1)} ms, ${a.rps.toFixed(0)} req/s, non-2xx ${a.non2xx}   (target p99 ≤ 50 ms)`,
    );
  }
}
const needsCluster = ["promote", "parallel", "merge", "replicas"].some((part) => only.has(part));
const cluster = needsCluster ? await benchCluster() : undefined;
try {
  if (only.has("promote")) {
    const one = await oneApp(cluster!, Number(values.samples));
    figures.promote_p95_ms = fixed(p95(one.promote));
    figures.promote_p50_ms = fixed(median(one.promote));
    figures.direct_apply_p95_ms = fixed(p95(one.direct));
    figures.direct_apply_p50_ms = fixed(median(one.direct));
    figures.overhead_ratio = fixed(p95(one.promote) / p95(one.direct), 2);
    console.log(
      `  where a promotion's time goes (median ms): ${Object.entries(one.phases)
        .map(([phase, ms]) => `${phase} ${median(ms).toFixed(0)}`)
        .join(", ")}`,
    );
    console.log(
      `one promotion, 10 objects: p50 ${median(one.promote).toFixed(0)} ms, p95 ${p95(one.promote).toFixed(0)} ms; direct apply p50 ${median(one.direct).toFixed(0)} ms, p95 ${p95(one.direct).toFixed(0)} ms; ${(p95(one.promote) / p95(one.direct)).toFixed(2)}x   (targets: p95 ≤ 300 ms, ≤ 1.5x)`,
    );
    // Each part starts on a quiet cluster: the one before's namespaces are deleted first.
    await cluster!.settle();
  }
  if (only.has("parallel")) {
    const all = await parallel(cluster!, Number(values.parallel));
    figures.parallel_100_s = fixed(all.seconds, 2);
    figures.parallel_p95_ms = fixed(p95(all.applied));
    figures.parallel_429s = all.api429 + all.kube429;
    figures.parallel_429s_slipway = all.api429;
    figures.parallel_429s_apiserver = all.kube429;
    console.log(
      `${all.count} promotions at once: all available in ${all.seconds.toFixed(1)} s (${all.completed}/${all.count} complete); request → applied p50 ${median(all.applied).toFixed(0)} ms, p95 ${p95(all.applied).toFixed(0)} ms; 429s: ${all.api429} from Slipway, ${all.kube429} from the API server`,
    );
    // Each part starts on a quiet cluster: the one before's namespaces are deleted first.
    await cluster!.settle();
  }
  if (only.has("merge")) {
    const runs = await mergeToStable(cluster!, 3);
    figures.merge_to_stable_s = fixed(median(runs), 2);
    console.log(
      `merge to stable (5 channels, promote: auto, no soak): ${runs.map((s) => `${s.toFixed(1)} s`).join(", ")}; median ${median(runs).toFixed(1)} s   (target ≤ 10 s)`,
    );
    // Each part starts on a quiet cluster: the one before's namespaces are deleted first.
    await cluster!.settle();
  }
  if (only.has("replicas")) {
    const r = await replicas(cluster!, Number(values.jobs));
    figures.replicas_1_jobs_per_s = fixed(r.one);
    figures.replicas_3_jobs_per_s = fixed(r.three);
    figures.replicas_speedup = fixed(r.three / r.one, 2);
    figures.replicas_applied_twice = r.appliedTwice;
    console.log(
      `${values.jobs} queued deployments on PostgreSQL: 1 replica ${r.one.toFixed(1)}/s, 3 replicas ${r.three.toFixed(1)}/s (${(r.three / r.one).toFixed(2)}x); applied more than once: ${r.appliedTwice}`,
    );
  }
} finally {
  await cluster?.cleanup();
}
console.log(JSON.stringify({ bench: "promote", ...figures }));
