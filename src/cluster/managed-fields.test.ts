import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { isSlipwayError } from "../core/errors.ts";
import type { KubeObject } from "../core/kube-object.ts";
import { appliedConfiguration } from "./managed-fields.ts";

/**
 * Objects as a v1.37 API server returned them (`kubectl get --show-managed-fields -o json`) after a
 * server-side apply under field manager `slipway`; the Deployment was then scaled with `kubectl
 * scale` and annotated with `kubectl annotate`, and its controller wrote its status.
 */
const captured = (name: string): KubeObject =>
  JSON.parse(readFileSync(join(import.meta.dirname, "testdata/managed-fields", `${name}.json`), "utf8"));

const meta = (name: string) => ({
  name,
  namespace: "shop",
  labels: { "app.kubernetes.io/name": "web", "slipway.dev/app": "web", "slipway.dev/target": "stable" },
  annotations: { "slipway.dev/applied-hash": "0123456789abcdef0123456789abcdef" },
});

test("a Deployment: what Slipway applied, without defaults, status, other managers' fields or server metadata", () => {
  const extracted = appliedConfiguration(captured("deployment"), "slipway");
  assert.deepEqual(extracted, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta("web"),
    spec: {
      // `replicas` is gone: `kubectl scale` took it over.
      progressDeadlineSeconds: 120,
      revisionHistoryLimit: 5,
      selector: { matchLabels: { "app.kubernetes.io/name": "web" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
      template: {
        metadata: {
          labels: { "app.kubernetes.io/name": "web", "slipway.dev/app": "web" },
          annotations: { "slipway.dev/config-checksum": "feedface" },
        },
        spec: {
          serviceAccountName: "web",
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true },
          containers: [
            {
              name: "app",
              image:
                "registry.example.com/web@sha256:1111111111111111111111111111111111111111111111111111111111111111",
              command: ["node", "server.js"],
              args: ["--port", "8080"],
              ports: [
                { name: "http", containerPort: 8080, protocol: "TCP" },
                { name: "metrics", containerPort: 9090, protocol: "TCP" },
              ],
              env: [
                { name: "LOG_LEVEL", value: "info" },
                { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "web-app", key: "PASSWORD" } } },
              ],
              resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "512Mi" } },
              readinessProbe: { httpGet: { path: "/ready", port: "http" }, periodSeconds: 5 },
              lifecycle: { preStop: { sleep: { seconds: 5 } } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [
                { name: "tmp", mountPath: "/tmp" },
                {
                  name: "config",
                  mountPath: "/app/config/features.json",
                  subPath: "features.json",
                  readOnly: true,
                },
              ],
            },
            {
              name: "proxy",
              image:
                "registry.example.com/proxy@sha256:2222222222222222222222222222222222222222222222222222222222222222",
              // Applied without `protocol`; a key field of the list, so it is named, with the default.
              ports: [{ containerPort: 15000, protocol: "TCP" }],
            },
          ],
          volumes: [
            { name: "tmp", emptyDir: {} },
            { name: "config", configMap: { name: "web-config" } },
          ],
        },
      },
    },
  });
});

test("status, server metadata and server defaults stay out", () => {
  const live = captured("deployment");
  assert.ok(live.status && live.metadata.uid && live.metadata.managedFields, "the capture has them");
  const extracted = appliedConfiguration(live, "slipway") as KubeObject;
  assert.equal(extracted.status, undefined);
  assert.deepEqual(Object.keys(extracted.metadata).sort(), ["annotations", "labels", "name", "namespace"]);
  const template = (extracted.spec as { template: { spec: Record<string, unknown> } }).template.spec;
  for (const defaulted of ["restartPolicy", "dnsPolicy", "schedulerName", "terminationGracePeriodSeconds"]) {
    assert.equal(template[defaulted], undefined, defaulted);
  }
});

test("a Service: the atomic selector whole, ports by port and protocol, no allocated cluster IP", () => {
  const live = captured("service") as KubeObject & { spec: { clusterIP?: string } };
  assert.ok(live.spec.clusterIP);
  assert.deepEqual(appliedConfiguration(live, "slipway"), {
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
  });
});

test("a ConfigMap: keys with dots, and finalizers, a set recorded by value", () => {
  assert.deepEqual(appliedConfiguration(captured("configmap"), "slipway"), {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { ...meta("web-config"), finalizers: ["example.com/keep"] },
    data: { greeting: "hello", "features.json": '{"expressCheckout": true}\n' },
  });
});

test("a Secret applied with data comes back with the same data", () => {
  assert.deepEqual(appliedConfiguration(captured("secret-data"), "slipway"), {
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta("web-app"),
    type: "Opaque",
    data: { PASSWORD: Buffer.from("s3cr3t").toString("base64") },
  });
});

test("a Secret applied with stringData: recorded as stringData, stored as data, extracted as data", () => {
  const live = captured("secret-stringdata");
  assert.equal(live.stringData, undefined);
  assert.deepEqual(appliedConfiguration(live, "slipway"), {
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta("web-tls"),
    type: "Opaque",
    data: {
      token: Buffer.from("abc123").toString("base64"),
      "config.yaml": Buffer.from("a: 1\n").toString("base64"),
    },
  });
});

test("a NetworkPolicy: selectors, policy types and its rules", () => {
  assert.deepEqual(appliedConfiguration(captured("networkpolicy"), "slipway"), {
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
  });
});

test("only an Apply entry of the object itself counts: none, an Update, or a subresource's give nothing", () => {
  const live = captured("deployment");
  assert.equal(appliedConfiguration(live, "kube-controller-manager"), undefined, "status subresource");
  assert.equal(appliedConfiguration(live, "kubectl-annotate"), undefined, "an Update");
  assert.equal(appliedConfiguration(live, "nobody"), undefined);
});

const withFields = (fieldsV1: unknown, body: Record<string, unknown>): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: {
    name: "x",
    namespace: "shop",
    managedFields: [{ manager: "slipway", operation: "Apply", fieldsType: "FieldsV1", fieldsV1 }],
  },
  ...body,
});

test("list items by index, and items or fields that are gone from the live object", () => {
  const live = withFields(
    {
      "f:list": { "i:1": { "f:a": {} }, "i:5": {} },
      "f:gone": { "f:x": {} },
      "f:keyed": { 'k:{"n":"z"}': {} },
    },
    { list: [{ a: 1 }, { a: 2, b: 3 }], keyed: [{ n: "y" }] },
  );
  assert.deepEqual(appliedConfiguration(live, "slipway"), {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "x", namespace: "shop" },
    list: [{ a: 2 }],
  });
});

test("a fields key it does not understand is an error naming the object and the path", () => {
  const live = withFields({ "f:data": { "q:what": {} } }, { data: { a: "1" } });
  assert.throws(
    () => appliedConfiguration(live, "slipway"),
    (e: unknown) =>
      isSlipwayError(e) &&
      e.code === "SLIPWAY_E_CLUSTER" &&
      e.message === "ConfigMap/shop/x: cannot read its managedFields at .data: unexpected q:what",
  );
});
