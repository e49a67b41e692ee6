/**
 * Render benchmark: 1,000 generated apps × 5 channels (parse, merge, render, schema-validate),
 * side by side with the real `helm template` on the exported charts of a sample of the same apps.
 * Prints ms per app-target, the per-app ratio against helm, the growth ratio time(2N)/time(N) and
 * peak RSS. Then large specs, validated as `slipway validate` does (parse, then render for every
 * channel): one of 20,000 env keys and a multi-MB one, with their ms per MB, which stay alike when
 * validation is linear. The last line is one JSON object of the figures.
 *
 * The Slipway side runs in a child process of its own on the compiled package (`dist/`), the code
 * an installed slipway runs, so its time and RSS are not those of this orchestrating script.
 *
 *   npm run bench -- render [--apps 1000] [--helm-sample 20] [--large-mb 5]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { generatedAppYaml } from "../src/render/generate-app.ts";
import { helmChartFiles } from "../src/render/helm-chart.ts";
import { defaultPlatform, parseAppSpec } from "../src/spec/parse.ts";
import { layerToolPath } from "../src/testing/layer-tools.ts";
import { hasPeer, peerPath } from "../src/testing/peers.ts";

const { values } = parseArgs({
  options: {
    apps: { type: "string", default: "1000" },
    "helm-sample": { type: "string", default: "20" },
    "large-mb": { type: "string", default: "5" },
  },
});
const N = Number(values.apps);
const SAMPLE = Number(values["helm-sample"]);
// About 33 bytes an env line: the multi-MB spec is env keys plus a 0.9 MiB config file.
const LARGE_MB = Number(values["large-mb"]);
const LARGE_ENV_KEYS = Math.round(((LARGE_MB - 0.9) * 1e6) / 33);
const platform = defaultPlatform();
const channels = platform.platform.channels.map((c) => c.name);

interface LargeFigure {
  envKeys: number;
  mb: number;
  ms: number;
}

interface SlipwayFigures {
  halfMs: number;
  fullMs: number;
  objects: number;
  rssAfterLoadMiB: number;
  peakRssMiB: number;
  large: LargeFigure[];
}

// The measured side: plain JavaScript on dist/. Warm-up first (as a long-running server or a CLI
// batch would be), so N/2 and N are both measured on warm code and their ratio shows the growth.
const WORKER = `
const dist = (p) => new URL(p, ${JSON.stringify(new URL("../dist/", import.meta.url).href)}).href;
const { generatedAppYaml, largeAppYaml } = await import(dist("render/generate-app.js"));
const { render } = await import(dist("render/render.js"));
const { defaultPlatform, parseAppSpec } = await import(dist("spec/parse.js"));
const N = ${N};
const platform = defaultPlatform();
const channels = platform.platform.channels.map((c) => c.name);
const texts = Array.from({ length: N }, (_, i) => generatedAppYaml(i));
const rssAfterLoadMiB = process.memoryUsage().rss / 1048576;
function renderAll(count) {
  const start = performance.now();
  let objects = 0;
  for (let i = 0; i < count; i++) {
    const app = parseAppSpec(texts[i % N], "app-" + i + ".yaml", platform);
    for (const target of channels) objects += render({ app, platform, target }).objects.length;
  }
  return { ms: performance.now() - start, objects };
}
renderAll(Math.floor(N / 2));
const half = renderAll(Math.floor(N / 2));
const full = renderAll(N);
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
// Large specs: what \`slipway validate\` does with one — parse, then render for every channel.
const large = [[20000, 0], [${LARGE_ENV_KEYS}, 900 * 1024]].map(([envKeys, configBytes]) => {
  const text = largeAppYaml(envKeys, configBytes);
  const start = performance.now();
  const app = parseAppSpec(text, "slipway.yaml", platform);
  for (const target of channels) render({ app, platform, target });
  return { envKeys, mb: text.length / 1e6, ms: performance.now() - start };
});
console.log(JSON.stringify({ halfMs: half.ms, fullMs: full.ms, objects: full.objects, rssAfterLoadMiB,
  peakRssMiB, large }));
`;

execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
const slipway = JSON.parse(
  execFileSync(process.execPath, ["--input-type=module", "-e", WORKER], { encoding: "utf8" })
    .trim()
    .split("\n")
    .at(-1)!,
) as SlipwayFigures;
const msPerAppTarget = slipway.fullMs / (N * channels.length);
const growth = slipway.fullMs / slipway.halfMs;

function helmMsPerAppTarget(binary: string): number {
  const root = mkdtempSync(join(tmpdir(), "slipway-bench-helm-"));
  const charts: string[] = [];
  for (let i = 0; i < SAMPLE; i++) {
    const app = parseAppSpec(generatedAppYaml(i), `app-${i}.yaml`, platform);
    const dir = join(root, `app-${i}`);
    for (const [name, text] of Object.entries(helmChartFiles({ app, platform }))) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    charts.push(dir);
  }
  const start = performance.now();
  for (const dir of charts) {
    for (const channel of channels) {
      execFileSync(binary, ["template", "r", dir, "-f", join(dir, `values-${channel}.yaml`)], {
        stdio: "ignore",
      });
    }
  }
  const ms = (performance.now() - start) / (SAMPLE * channels.length);
  rmSync(root, { recursive: true, force: true });
  return ms;
}

const helm3 = helmMsPerAppTarget(layerToolPath("helm"));
const helm4 = hasPeer("helm") ? helmMsPerAppTarget(peerPath("helm")) : undefined;

console.log(
  `render: ${N} apps × ${channels.length} channels = ${N * channels.length} app-targets, ${slipway.objects} objects`,
);
console.log(
  `  slipway        ${slipway.fullMs.toFixed(0)} ms total, ${msPerAppTarget.toFixed(3)} ms per app-target (target ≤ 2 ms)`,
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
  `  peak RSS       ${slipway.peakRssMiB.toFixed(0)} MiB (target ≤ 200 MiB; ${slipway.rssAfterLoadMiB.toFixed(0)} MiB after loading modules and inputs)`,
);
for (const l of slipway.large) {
  console.log(
    `  large spec     ${l.envKeys} env keys, ${l.mb.toFixed(1)} MB: validated (parse + ${channels.length} channels) in ${l.ms.toFixed(0)} ms, ${(l.ms / l.mb).toFixed(0)} ms per MB`,
  );
}
const [large20k, largeMb] = slipway.large as [LargeFigure, LargeFigure];
console.log(
  JSON.stringify({
    bench: "render",
    apps: N,
    channels: channels.length,
    objects: slipway.objects,
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
    peak_rss_mib: Number(slipway.peakRssMiB.toFixed(1)),
    large_20k_env_ms: Number(large20k.ms.toFixed(0)),
    large_20k_env_mb: Number(large20k.mb.toFixed(2)),
    large_multi_mb_ms: Number(largeMb.ms.toFixed(0)),
    large_multi_mb: Number(largeMb.mb.toFixed(2)),
    large_ms_per_mb_ratio: Number((largeMb.ms / largeMb.mb / (large20k.ms / large20k.mb)).toFixed(2)),
  }),
);
