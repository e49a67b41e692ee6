/**
 * The exported Helm chart carries the escape hatch: an app's manifests and patches, with their
 * per-environment overrides, come out of `helm template -f values-<channel>.yaml` exactly as
 * `slipway render` gives them for that channel — a cluster-scoped manifest and one in another
 * namespace of the same kind and name as a rendered object included.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../src/core/kube-object.ts";
import { helmChartFiles } from "../src/render/helm-chart.ts";
import { render } from "../src/render/render.ts";
import { sortKeysDeep } from "../src/render/yaml-output.ts";
import { parseAppSpec, parsePlatform } from "../src/spec/parse.ts";
import { peerPath } from "../src/testing/peers.ts";

const platform = parsePlatform(
  `apiVersion: slipway.dev/v1
kind: Platform
clusters:
  - { name: local, gitops: { directory: gitops }, capabilities: { serviceMonitor: true } }
channels:
  - { name: develop, cluster: local, domain: develop.example.com }
  - { name: stable, cluster: local, domain: example.com, production: true }
rawManifests:
  allow:
    - { kind: ClusterRole, team: shop }
    - { kind: ServiceMonitor, namespaces: [monitoring] }
`,
  "slipway.platform.yaml",
);

const app = parseAppSpec(
  `apiVersion: slipway.dev/v1
kind: App
name: shop
team: shop
image: { repository: registry.example.com/shop, tag: "1" }
ports: [{ name: http, port: 8080 }, { name: metrics, port: 9090 }]
metrics: { port: metrics }
manifests:
  reader:
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    metadata: { name: shop--reader }
    rules: [{ apiGroups: [""], resources: [nodes], verbs: [get, list] }]
  scrape:
    apiVersion: monitoring.coreos.com/v1
    kind: ServiceMonitor
    metadata: { name: shop, namespace: monitoring }
    spec:
      selector: { matchLabels: { app.kubernetes.io/name: shop } }
      namespaceSelector: { any: true }
      endpoints: [{ port: metrics }]
  conf:
    apiVersion: v1
    kind: ConfigMap
    metadata: { name: shop--conf }
    data: { "nginx.conf": "worker_processes 1; # {{ not a template }}" }
patches:
  aliases:
    target: { kind: Deployment, name: shop }
    strategicMerge:
      spec: { template: { spec: { hostAliases: [{ ip: 10.0.0.1, hostnames: [db.local] }] } } }
environments:
  stable:
    manifests:
      conf: { data: { "nginx.conf": "worker_processes 4;" } }
    patches:
      priority:
        target: { kind: Deployment }
        jsonPatch: [{ op: add, path: /spec/template/spec/priorityClassName, value: high }]
`,
  "slipway.yaml",
  platform,
);

function writeChart(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-chart-extras-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const canonical = (objects: readonly unknown[]) => objects.map((o) => JSON.stringify(sortKeysDeep(o))).sort();

test("helm template of the exported chart gives the manifests and patches slipway render gives, per channel", () => {
  const image = `registry.example.com/shop@sha256:${"ab".repeat(32)}`;
  const chart = writeChart(helmChartFiles({ app, platform, image }));
  for (const channel of ["develop", "stable"]) {
    const values = join(chart, `values-${channel}.yaml`);
    execFileSync(peerPath("helm"), ["lint", chart, "--strict", "-f", values], { encoding: "utf8" });
    const out = execFileSync(peerPath("helm"), ["template", "r", chart, "-f", values], { encoding: "utf8" });
    const fromHelm = parseAllDocuments(out)
      .map((d) => d.toJS() as KubeObject | null)
      .filter((o) => o !== null);
    const fromSlipway = render({ app, platform, target: channel, image }).objects;
    assert.deepEqual(canonical(fromHelm), canonical(fromSlipway), channel);
    const kinds = fromHelm.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`);
    assert.ok(kinds.includes("ClusterRole//shop--reader"), kinds.join(" "));
    assert.ok(kinds.includes("ServiceMonitor/monitoring/shop"), kinds.join(" "));
    assert.ok(kinds.includes(`ServiceMonitor/shop-${channel}/shop`), "the rendered one of that name too");
    const conf = fromHelm.find((o) => o.metadata.name === "shop--conf") as unknown as {
      data: Record<string, string>;
    };
    assert.equal(
      conf.data["nginx.conf"],
      channel === "stable" ? "worker_processes 4;" : "worker_processes 1; # {{ not a template }}",
    );
  }
});
