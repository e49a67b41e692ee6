/**
 * The applied configuration of a field manager, read back from the real API server: objects are
 * applied with the real kubectl (server-side, under their own field manager), read back, and the
 * extraction must be what was applied — not the server's defaults, not status, not other managers'
 * fields.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { appliedConfiguration } from "../src/cluster/managed-fields.ts";
import type { KubeObject } from "../src/core/kube-object.ts";
import {
  createNamespace,
  deleteNamespace,
  kubectl,
  kubectlJson,
  uniqueName,
} from "./support/cluster-fixtures.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

const kubeconfig = testKubeconfig();
const namespace = uniqueName("fields");
const MANAGER = "extract-test";

before(() => createNamespace(kubeconfig, namespace));
after(() => deleteNamespace(kubeconfig, namespace));

function apply(o: KubeObject, manager = MANAGER): void {
  kubectl(
    kubeconfig,
    ["apply", "--server-side", `--field-manager=${manager}`, "--force-conflicts", "-f", "-"],
    JSON.stringify(o),
  );
}

function live(kind: string, name: string): KubeObject {
  return kubectlJson(kubeconfig, ["-n", namespace, "get", kind, name, "--show-managed-fields"]);
}

const meta = (name: string) => ({
  name,
  namespace,
  labels: { "app.kubernetes.io/name": "web", "slipway.dev/app": "web" },
  annotations: { "slipway.dev/applied-hash": "0123abcd" },
});

const deployment = (): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: meta("web"),
  spec: {
    replicas: 2,
    progressDeadlineSeconds: 120,
    selector: { matchLabels: { "app.kubernetes.io/name": "web" } },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
    template: {
      metadata: {
        labels: { "app.kubernetes.io/name": "web" },
        annotations: { "slipway.dev/config-checksum": "feed" },
      },
      spec: {
        containers: [
          {
            name: "app",
            image:
              "registry.example.com/web@sha256:1111111111111111111111111111111111111111111111111111111111111111",
            args: ["--port", "8080", "--verbose"],
            ports: [
              { name: "http", containerPort: 8080, protocol: "TCP" },
              { name: "metrics", containerPort: 9090, protocol: "TCP" },
            ],
            env: [
              { name: "LOG_LEVEL", value: "info" },
              { name: "GREETING", valueFrom: { configMapKeyRef: { name: "web-config", key: "greeting" } } },
            ],
            resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "512Mi" } },
            readinessProbe: { httpGet: { path: "/ready", port: "http" }, periodSeconds: 5 },
            securityContext: { readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
          },
          {
            name: "proxy",
            image:
              "registry.example.com/proxy@sha256:2222222222222222222222222222222222222222222222222222222222222222",
            ports: [{ containerPort: 15000 }],
          },
        ],
        volumes: [{ name: "tmp", emptyDir: {} }],
      },
    },
  },
});

test("a Deployment's extraction is what was applied: keyed lists, atomic lists, no defaults, no status", () => {
  const applied = deployment();
  apply(applied);
  const extracted = appliedConfiguration(live("deployment", "web"), MANAGER);
  // The second container's port was applied without `protocol`; it is a key field of the list, so
  // the extraction names it (as client-go's does), with the server's default.
  const expected = deployment() as KubeObject & {
    spec: { template: { spec: { containers: { ports: object[] }[] } } };
  };
  const proxy = expected.spec.template.spec.containers[1];
  if (proxy) proxy.ports = [{ containerPort: 15000, protocol: "TCP" }];
  assert.deepEqual(extracted, expected);
});

test("fields another manager took over are not in the extraction; their own fields neither", () => {
  apply(deployment());
  kubectl(kubeconfig, ["-n", namespace, "scale", "deployment", "web", "--replicas=3"]);
  kubectl(kubeconfig, ["-n", namespace, "annotate", "deployment", "web", "team=shop"]);
  const extracted = appliedConfiguration(live("deployment", "web"), MANAGER) as KubeObject & {
    spec: { replicas?: number };
  };
  assert.equal(extracted.spec.replicas, undefined, "replicas now belong to kubectl scale");
  assert.deepEqual(extracted.metadata.annotations, { "slipway.dev/applied-hash": "0123abcd" });
  assert.equal(appliedConfiguration(live("deployment", "web"), "someone-else"), undefined);
});

test("a Service's extraction: its atomic selector and ports keyed by port and protocol", () => {
  const applied: KubeObject = {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta("web"),
    spec: {
      type: "ClusterIP",
      selector: { "app.kubernetes.io/name": "web" },
      ports: [
        { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
        { name: "dns", port: 53, targetPort: 5353, protocol: "UDP" },
      ],
    },
  };
  apply(applied);
  const read = live("service", "web") as KubeObject & { spec: { clusterIP?: string } };
  assert.ok(read.spec.clusterIP, "the server allocated a cluster IP");
  assert.deepEqual(appliedConfiguration(read, MANAGER), applied);
});

test("a ConfigMap's extraction keeps keys with dots and slashes", () => {
  const applied: KubeObject = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: meta("web-config"),
    data: { greeting: "hello", "app.properties": "a=1\nb=2\n", "features.json": '{"x":true}' },
  };
  apply(applied);
  assert.deepEqual(appliedConfiguration(live("configmap", "web-config"), MANAGER), applied);
});

test("a Secret applied with data comes back as data", () => {
  const applied: KubeObject = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta("web-data"),
    type: "Opaque",
    data: {
      password: Buffer.from("s3cr3t").toString("base64"),
      blob: Buffer.from([0, 255, 7]).toString("base64"),
    },
  };
  apply(applied);
  assert.deepEqual(appliedConfiguration(live("secret", "web-data"), MANAGER), applied);
});

test("a Secret applied with stringData comes back as the same values under data", () => {
  apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta("web-string"),
    type: "Opaque",
    stringData: { password: "s3cr3t", "config.yaml": "a: 1\n" },
  });
  const read = live("secret", "web-string");
  assert.equal(read.stringData, undefined, "the server never returns stringData");
  assert.deepEqual(appliedConfiguration(read, MANAGER), {
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta("web-string"),
    type: "Opaque",
    data: {
      password: Buffer.from("s3cr3t").toString("base64"),
      "config.yaml": Buffer.from("a: 1\n").toString("base64"),
    },
  });
});

test("a NetworkPolicy's extraction: selectors, policy types and rules", () => {
  const applied: KubeObject = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: meta("web"),
    spec: {
      podSelector: { matchLabels: { "app.kubernetes.io/name": "web" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            { podSelector: { matchLabels: { "app.kubernetes.io/name": "checkout" } } },
            { namespaceSelector: { matchLabels: { "slipway.dev/ingress": "true" } } },
          ],
          ports: [{ port: "http", protocol: "TCP" }],
        },
      ],
    },
  };
  apply(applied);
  assert.deepEqual(appliedConfiguration(live("networkpolicy", "web"), MANAGER), applied);
});
