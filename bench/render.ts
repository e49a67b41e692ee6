/**
 * Render benchmark: 1,000 generated apps × 5 channels in one process (parse, merge, render,
 * schema-validate), side by side with the real `helm template` on the exported charts of a sample
 * of the same apps. Prints ms per app-target, the per-app ratio against helm, the growth ratio
 * time(2N)/time(N) and peak RSS; the last line is one JSON object of the figures.
 *
 *   npm run bench -- render [--apps 1000] [--helm-sample 20]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";

// Measure what users run: the compiled package (`dist/`), not sources stripped of types on load.
execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
const dist = (path: string) => new URL(`../dist/${path}`, import.meta.url).href;
const { generatedAppYaml } = (await import(
  dist("render/generate-app.js")
)) as typeof import("../src/render/generate-app.ts");
const { helmChartFiles } = (await import(
  dist("render/helm-chart.js")
)) as typeof import("../src/render/helm-chart.ts");
const { render } = (await import(dist("render/render.js"))) as typeof import("../src/render/render.ts");
const { defaultPlatform, parseAppSpec } = (await import(
  dist("spec/parse.js")
)) as typeof import("../src/spec/parse.ts");
const { layerToolPath } = (await import(
  dist("testing/layer-tools.js")
)) as typeof import("../src/testing/layer-tools.ts");
const { hasPeer, peerPath } = (await import(
  dist("testing/peers.js")
)) as typeof import("../src/testing/peers.ts");

const { values } = parseArgs({
  options: { apps: { type: "string", default: "1000" }, "helm-sample": { type: "string", default: "20" } },
});
const N = Number(values.apps);
const SAMPLE = Number(values["helm-sample"]);
const platform = defaultPlatform();
const channels = platform.platform.channels.map((c) => c.name);
const texts = Array.from({ length: N }, (_, i) => generatedAppYaml(i));

function renderAll(count: number): { ms: number; objects: number } {
  const start = performance.now();
  let objects = 0;
  for (let i = 0; i < count; i++) {
    const app = parseAppSpec(texts[i % texts.length]!, `app-${i}.yaml`, platform);
    for (const target of channels) objects += render({ app, platform, target }).objects.length;
  }
  return { ms: performance.now() - start, objects };
}

// Warm up the JIT and the schema validators, as a long-running server or CLI batch would be, so
// that N and 2N are both measured on warm code and their ratio shows how the work grows.
const rssAfterImportMiB = process.memoryUsage().rss / 1024 / 1024;
renderAll(Math.floor(N / 2));
const half = renderAll(Math.floor(N / 2));
const full = renderAll(N);
const msPerAppTarget = full.ms / (N * channels.length);
// Peak RSS of the render itself, before the helm side of the run builds its charts.
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
const growth = full.ms / half.ms;

function helmMsPerAppTarget(binary: string): number {
  const root = mkdtempSync(join(tmpdir(), "slipway-bench-helm-"));
  const charts: string[] = [];
  for (let i = 0; i < SAMPLE; i++) {
    const app = parseAppSpec(texts[i]!, `app-${i}.yaml`, platform);
    const dir = join(root, `app-${i}`);
    for (const [name, text] of Object.entries(helmChartFiles({ app, platform }))) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    charts.push(dir);
  }
  const start = performance.now();
  for (const dir of charts) {
    for (const channel of channels)
      execFileSync(binary, ["template", "r", dir, "-f", join(dir, `values-${channel}.yaml`)], {
        stdio: "ignore",
      });
  }
  const ms = (performance.now() - start) / (SAMPLE * channels.length);
  rmSync(root, { recursive: true, force: true });
  return ms;
}

const helm3 = helmMsPerAppTarget(layerToolPath("helm"));
const helm4 = hasPeer("helm") ? helmMsPerAppTarget(peerPath("helm")) : undefined;

console.log(
  `render: ${N} apps × ${channels.length} channels = ${N * channels.length} app-targets, ${full.objects} objects`,
);
console.log(
  `  slipway        ${full.ms.toFixed(0)} ms total, ${msPerAppTarget.toFixed(3)} ms per app-target (target ≤ 2 ms)`,
);
console.log(
  `  helm v3.17     ${helm3.toFixed(1)} ms per app-target (helm template, ${SAMPLE} apps × ${channels.length} channels)  → slipway ${(helm3 / msPerAppTarget).toFixed(0)}× faster (target ≥ 50×)`,
);
if (helm4 !== undefined) {
  console.log(
    `  helm v4        ${helm4.toFixed(1)} ms per app-target  → slipway ${(helm4 / msPerAppTarget).toFixed(0)}× faster`,
  );
}
console.log(`  growth         time(${N})/time(${Math.floor(N / 2)}) = ${growth.toFixed(2)} (target ≤ 2.2)`);
console.log(
  `  peak RSS       ${peakRssMiB.toFixed(0)} MiB (target ≤ 200 MiB; ${rssAfterImportMiB.toFixed(0)} MiB after loading modules)`,
);
console.log(
  JSON.stringify({
    bench: "render",
    apps: N,
    channels: channels.length,
    objects: full.objects,
    ms_per_app_target: Number(msPerAppTarget.toFixed(4)),
    helm3_ms_per_app_target: Number(helm3.toFixed(2)),
    ratio_vs_helm3: Number((helm3 / msPerAppTarget).toFixed(1)),
    ...(helm4 !== undefined
      ? {
          helm4_ms_per_app_target: Number(helm4.toFixed(2)),
          ratio_vs_helm4: Number((helm4 / msPerAppTarget).toFixed(1)),
        }
      : {}),
    growth_2n_over_n: Number(growth.toFixed(3)),
    peak_rss_mib: Number(peakRssMiB.toFixed(1)),
  }),
);
