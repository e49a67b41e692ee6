/**
 * `slipway check` judges the object the cluster will run, so it must read YAML as the API server
 * does. Each manifest of the corpus is sent as YAML, unchanged, to the real kube-apiserver
 * (server-side dry run: nothing is stored) and every value Slipway read must be the value the
 * server decoded: YAML 1.1 booleans (`yes`, `on`, `Y`, `off`), Go's integer forms, merge keys,
 * dates kept as strings, and non-string keys turned into strings.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { test } from "node:test";
import { parse } from "yaml";
import { builtinRules } from "../src/policy/catalog.ts";
import { evaluate } from "../src/policy/engine.ts";
import { parseManifests } from "../src/policy/manifests.ts";
import { testKubeconfig } from "./support/test-cluster.ts";

interface Kubeconfig {
  clusters: { cluster: { server: string; "certificate-authority-data": string } }[];
  users: { user: { "client-certificate-data": string; "client-key-data": string } }[];
}

const config = parse(readFileSync(testKubeconfig(), "utf8")) as Kubeconfig;
const cluster = config.clusters[0]?.cluster;
const user = config.users[0]?.user;
assert.ok(cluster && user, "the test kubeconfig names a cluster and a user");
const b64 = (s: string) => Buffer.from(s, "base64");

/** POSTs `yaml` as application/yaml with dryRun=All; resolves to the object the server decoded. */
function dryRun(path: string, yaml: string): Promise<Record<string, unknown>> {
  const url = new URL(`${path}?dryRun=All`, cluster?.server);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        ca: b64(cluster?.["certificate-authority-data"] ?? ""),
        cert: b64(user?.["client-certificate-data"] ?? ""),
        key: b64(user?.["client-key-data"] ?? ""),
        headers: { "content-type": "application/yaml", accept: "application/json" },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          if ((res.statusCode ?? 0) >= 300) reject(new Error(`${res.statusCode} from ${path}: ${body}`));
          else resolve(JSON.parse(body) as Record<string, unknown>);
        });
      },
    );
    req.on("error", reject);
    req.end(yaml);
  });
}

const pod = (name: string, spec: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n${spec}`;

const corpus: { name: string; path: string; yaml: string }[] = [
  {
    name: "host namespaces and privilege as yes/on/Y/off",
    path: "/api/v1/namespaces/default/pods",
    yaml: pod(
      "yaml11-host",
      `  hostNetwork: yes
  hostPID: on
  hostIPC: off
  enableServiceLinks: No
  containers:
    - name: app
      image: registry.example.com/app:1
      securityContext:
        privileged: Y
        allowPrivilegeEscalation: yes
        readOnlyRootFilesystem: True
`,
    ),
  },
  {
    name: "runAsNonRoot: yes and Go's integer forms",
    path: "/api/v1/namespaces/default/pods",
    yaml: pod(
      "yaml11-numbers",
      `  terminationGracePeriodSeconds: 0o17
  activeDeadlineSeconds: 1_000
  securityContext:
    runAsNonRoot: yes
    runAsUser: 0x3E8
    runAsGroup: 0755
    fsGroup: +2000
    supplementalGroups: [08, 1e3]
  containers:
    - name: app
      image: registry.example.com/app:1
      args: ["yes", 2026-01-01, 2026-01-01 10:00:00, "0755", "1.10", plain text]
`,
    ),
  },
  {
    name: "merge keys build containers from an anchored base",
    path: "/api/v1/namespaces/default/pods",
    yaml: pod(
      "yaml11-merge",
      `  initContainers:
    - &base
      name: init
      image: registry.example.com/app:1
      imagePullPolicy: Always
      securityContext: &secure { runAsNonRoot: yes, allowPrivilegeEscalation: no }
  containers:
    - <<: *base
      name: app
    - <<: [*base]
      name: sidecar
      securityContext:
        <<: *secure
        readOnlyRootFilesystem: on
`,
    ),
  },
  {
    name: "a key set before a merge key that also sets it",
    path: "/api/v1/namespaces/default/configmaps",
    yaml: `apiVersion: v1
kind: ConfigMap
metadata:
  name: yaml11-merge-order
  namespace: default
  labels:
    tier: explicit
    <<: { tier: merged, zone: merged }
data:
  x: "1"
`,
  },
  {
    name: "non-string keys and date-like values in a ConfigMap",
    path: "/api/v1/namespaces/default/configmaps",
    yaml: `apiVersion: v1
kind: ConfigMap
metadata:
  name: yaml11-keys
  namespace: default
  labels: { released: 2026-01-01, tier: "on" }
data:
  on: "a key read as true"
  0x10: "a key read as 16"
  plain: 2026-01-01 10:00:00
  quoted: "yes"
`,
  },
];

/** Every leaf of `value` with its path. */
function leaves(value: unknown, path: string[] = []): [string[], unknown][] {
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  }
  return [[path, value]];
}

function at(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const k of path)
    v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

for (const entry of corpus) {
  test(`the API server and slipway check read the same values: ${entry.name}`, async () => {
    const [read] = parseManifests(entry.yaml, "corpus.yaml");
    assert.ok(read);
    const stored = await dryRun(entry.path, entry.yaml);
    // The server leaves out fields that hold their zero value (`hostIPC: false`): absent there is
    // the same value, not a different reading.
    const zero = (v: unknown) => v === false || v === 0 || v === "" || v === null;
    const mismatches = leaves(read.object)
      .filter(([path, value]) => {
        const theirs = at(stored, path);
        return !Object.is(theirs, value) && !(theirs === undefined && zero(value));
      })
      .map(
        ([path, value]) =>
          `${path.join(".")}: slipway ${JSON.stringify(value)}, server ${JSON.stringify(at(stored, path))}`,
      );
    assert.deepEqual(mismatches, []);
  });
}

test("a bare yes where a string belongs is a boolean to both: the server refuses it, slipway reads true", async () => {
  const yaml = pod(
    "yaml11-args",
    "  containers:\n    - name: app\n      image: registry.example.com/app:1\n      args: [--verbose, yes]\n",
  );
  await assert.rejects(
    dryRun("/api/v1/namespaces/default/pods", yaml),
    /cannot unmarshal bool into .*args of type string/,
  );
  const [read] = parseManifests(yaml, "corpus.yaml");
  assert.ok(read);
  const containers = (read.object.spec as { containers: { args: unknown[] }[] }).containers;
  assert.deepEqual(containers[0]?.args, ["--verbose", true]);
});

test("what the server runs privileged, check flags: hostNetwork yes, hostPID on, privileged Y", async () => {
  const entry = corpus[0];
  assert.ok(entry);
  const stored = (await dryRun(entry.path, entry.yaml)) as {
    spec: {
      hostNetwork: boolean;
      hostPID: boolean;
      containers: { securityContext: { privileged: boolean } }[];
    };
  };
  assert.deepEqual(
    [stored.spec.hostNetwork, stored.spec.hostPID, stored.spec.containers[0]?.securityContext.privileged],
    [true, true, true],
  );
  const found = evaluate(
    parseManifests(entry.yaml, "corpus.yaml").map((s) => s.object),
    builtinRules,
  ).map((f) => f.ruleId);
  for (const rule of ["no-host-network", "no-host-pid", "no-privileged", "no-privilege-escalation"])
    assert.ok(found.includes(rule), `${rule} among ${found.join(", ")}`);
});
