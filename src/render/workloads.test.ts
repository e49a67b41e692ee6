/**
 * Processes, CronJobs, deploy-time Jobs and StatefulSets in one app, and the route and name rules
 * that keep what validates correct: each rule is checked where a user meets it (validate's
 * problems with line and column, or the rendered objects).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../core/kube-object.ts";
import { policyGate } from "../policy/gate.ts";
import { checkAppSpec, parseAppSpec, parsePlatform } from "../spec/parse.ts";
import { targetProblems } from "./check-targets.ts";
import { render } from "./render.ts";

const platform = parsePlatform(
  `apiVersion: slipway.dev/v1
kind: Platform
clusters:
  - name: local
    gitops: { directory: gitops }
channels:
  - { name: develop, cluster: local, domain: develop.example.com }
  - { name: stable, cluster: local, domain: example.com, production: true, policy: { mode: enforce } }
previews: { cluster: local, domain: preview.example.com }
routing:
  hosts:
    - { host: shop.example.com, team: commerce, apps: [shop] }
`,
  "slipway.platform.yaml",
);

const HEAD = `apiVersion: slipway.dev/v1
kind: App
name: shop
team: commerce
image: { repository: registry.example.com/shop, tag: "1" }
ports: [{ name: http, port: 8080 }]
resources: { requests: { cpu: 100m, memory: 128Mi }, limits: { memory: 256Mi } }
health:
  readiness: { http: { path: /ready } }
  liveness: { http: { path: /live } }
replicas: 2
`;
const DIGEST = `registry.example.com/shop@sha256:${"4f".repeat(32)}`;
const load = (body: string) => parseAppSpec(`${HEAD}${body}`, "shop/slipway.yaml", platform);
const objectsOf = (body: string, target = "develop", release = "r-1") =>
  render({ app: load(body), platform, target, image: DIGEST, release }).objects;
const maybe = (objects: KubeObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = maybe(objects, kind, name);
  assert.ok(found, `${kind}/${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  return found;
}
const problemsOf = (body: string, head = HEAD) => {
  const checked = checkAppSpec(`${head}${body}`, "shop/slipway.yaml", platform);
  return checked.problems.length > 0 || !checked.app
    ? checked.problems
    : targetProblems(checked.app, platform);
};
type Pod = { spec: { containers: Record<string, unknown>[]; restartPolicy?: string } };
const templateOf = (o: KubeObject) => (o.spec as { template: Pod }).template;

const WORKER = `processes:
  worker:
    command: [bin/worker]
    replicas: 3
    env: { QUEUE: mail }
`;

test("a worker process is a Deployment of its own sharing image, env and account, and selects only its pods", () => {
  const objects = objectsOf(`env: { LOG: info }\n${WORKER}`);
  const worker = find(objects, "Deployment", "shop--worker");
  const container = templateOf(worker).spec.containers[0] as Record<string, unknown>;
  assert.deepEqual(container.command, ["bin/worker"]);
  assert.deepEqual(container.env, [
    { name: "LOG", value: "info" },
    { name: "QUEUE", value: "mail" },
  ]);
  assert.equal(container.image, DIGEST);
  assert.equal(container.readinessProbe, undefined, "a worker has no ports and no probes of the web's");
  assert.equal(container.ports, undefined);
  assert.equal((worker.spec as { replicas: number }).replicas, 3);
  // The web Service must not send requests to worker pods, nor the web's budget count them.
  const webSelector = (find(objects, "Service", "shop").spec as { selector: Record<string, string> })
    .selector;
  const workerLabels = (templateOf(worker) as unknown as { metadata: { labels: Record<string, string> } })
    .metadata.labels;
  assert.ok(
    Object.entries(webSelector).some(([k, v]) => workerLabels[k] !== v),
    "web selector skips workers",
  );
  assert.ok(find(objects, "PodDisruptionBudget", "shop--worker"), "3 worker replicas get their budget");
  assert.ok(find(objects, "NetworkPolicy", "shop--worker"), "worker pods are covered by a NetworkPolicy");
  assert.equal(maybe(objects, "Service", "shop--worker"), undefined, "no ports, no Service");
});

test("a worker without ports or probes passes the production policy without waivers", () => {
  const app = load(WORKER);
  const { objects, target } = render({ app, platform, target: "stable", image: DIGEST });
  const verdict = policyGate({
    objects,
    platform: platform.platform,
    app: app.spec,
    target,
    today: "2026-12-05",
  });
  assert.equal(verdict.mode, "enforce");
  assert.ok(verdict.passed);
  assert.deepEqual(verdict.blocking, []);
  // Readiness gates Service traffic, which a worker has none of; a hang is still worth a
  // liveness probe, which stays advice (a warning) and never needs a waiver.
  assert.deepEqual(
    verdict.findings.map((f) => `${f.ruleId} ${f.severity} ${f.object}`),
    ["liveness-probe warning Deployment/shop-stable/shop--worker"],
  );
});

test("a single-process spec renders exactly as before: no parts, no sync waves", () => {
  const objects = objectsOf("");
  assert.deepEqual(
    objects.map((o) => `${o.kind}/${o.metadata.name}`),
    [
      "ServiceAccount/shop",
      "Service/shop",
      "Deployment/shop",
      "PodDisruptionBudget/shop",
      "NetworkPolicy/shop",
    ],
  );
  assert.ok(objects.every((o) => o.metadata.annotations?.["argocd.argoproj.io/sync-wave"] === undefined));
});

test("an environment overrides one field of one process; null removes a process", () => {
  const body = `${WORKER}environments:\n  stable:\n    processes:\n      worker: { replicas: 5 }\n  preview:\n    processes:\n      worker: null\n`;
  const stable = find(objectsOf(body, "stable"), "Deployment", "shop--worker");
  assert.equal((stable.spec as { replicas: number }).replicas, 5);
  assert.deepEqual(templateOf(stable).spec.containers[0]?.command, ["bin/worker"], "the rest is kept");
  assert.equal(maybe(objectsOf(body, "preview:x"), "Deployment", "shop--worker"), undefined);
});

test("a stateful process is a StatefulSet with a headless Service and a claim per replica, kept on scale-down", () => {
  const objects = objectsOf(`processes:
  db:
    kind: stateful
    replicas: 2
    autoscaling: { minReplicas: 2, maxReplicas: 4, cpu: 80 }
    volumeClaims: [{ name: data, mountPath: /var/lib/db, size: 5Gi, storageClass: fast }]
`);
  const set = find(objects, "StatefulSet", "shop--db");
  const spec = set.spec as Record<string, unknown>;
  assert.equal(spec.serviceName, "shop--db");
  assert.equal((find(objects, "Service", "shop--db").spec as { clusterIP: string }).clusterIP, "None");
  assert.deepEqual(spec.persistentVolumeClaimRetentionPolicy, {
    whenDeleted: "Retain",
    whenScaled: "Retain",
  });
  assert.deepEqual(spec.volumeClaimTemplates, [
    {
      metadata: {
        name: "data",
        labels: { "app.kubernetes.io/name": "shop", "app.kubernetes.io/instance": "shop--db-develop" },
      },
      spec: {
        accessModes: ["ReadWriteOnce"],
        storageClassName: "fast",
        resources: { requests: { storage: "5Gi" } },
      },
    },
  ]);
  const mounts = templateOf(set).spec.containers[0]?.volumeMounts as { name: string; mountPath: string }[];
  assert.ok(mounts.some((m) => m.name === "data" && m.mountPath === "/var/lib/db"));
  const hpa = find(objects, "HorizontalPodAutoscaler", "shop--db").spec as { scaleTargetRef: unknown };
  assert.deepEqual(hpa.scaleTargetRef, { apiVersion: "apps/v1", kind: "StatefulSet", name: "shop--db" });
  assert.match(
    problemsOf(`processes:\n  db:\n    volumeClaims: [{ name: d, mountPath: /d, size: 1Gi }]\n`)[0]
      ?.message ?? "",
    /need `kind: stateful`/,
  );
});

test("a CronJob carries schedule, time zone, concurrency, history and deadline; its pods never restart in place", () => {
  const objects = objectsOf(`cronJobs:
  nightly:
    schedule: "30 2 * * *"
    timeZone: Europe/Berlin
    startingDeadlineSeconds: 300
    timeoutSeconds: 3600
    history: { successful: 5, failed: 2 }
    command: [bin/report]
`);
  const cron = find(objects, "CronJob", "shop--nightly").spec as Record<string, unknown> & {
    jobTemplate: { spec: { activeDeadlineSeconds: number; template: Pod } };
  };
  assert.equal(cron.schedule, "30 2 * * *");
  assert.equal(cron.timeZone, "Europe/Berlin");
  assert.equal(cron.concurrencyPolicy, "Forbid");
  assert.equal(cron.startingDeadlineSeconds, 300);
  assert.equal(cron.successfulJobsHistoryLimit, 5);
  assert.equal(cron.failedJobsHistoryLimit, 2);
  assert.equal(cron.jobTemplate.spec.activeDeadlineSeconds, 3600);
  const pod = cron.jobTemplate.spec.template.spec;
  assert.equal(pod.restartPolicy, "Never");
  assert.equal(pod.containers[0]?.lifecycle, undefined, "no preStop pause for a batch pod");
  assert.equal(pod.containers[0]?.readinessProbe, undefined);
  const bad = problemsOf(`cronJobs:\n  x: { schedule: "every day" }\n`)[0];
  assert.equal(bad?.path, "cronJobs.x.schedule");
  assert.equal(bad?.line, 13);
  // The API server loads the zone from the tz database: one it does not know is refused here.
  const zone = problemsOf(`cronJobs:\n  x: { schedule: "@daily", timeZone: Mars/Olympus }\n`)[0];
  assert.equal(zone?.path, "cronJobs.x.timeZone");
  assert.match(zone?.message ?? "", /not a time zone of the tz database/);
});

test("deploy-time Jobs are named by what they run: the same release keeps the name, a new release changes it", () => {
  const body = `jobs:\n  migrate: { when: pre-deploy, command: [bin/migrate] }\n  notify: { when: post-deploy, command: [bin/notify] }\n`;
  const jobs = (release: string) =>
    objectsOf(body, "develop", release)
      .filter((o) => o.kind === "Job")
      .map((o) => o.metadata.name);
  const [migrate, notify] = jobs("r-1");
  assert.match(migrate ?? "", /^shop--migrate-[0-9a-f]{8}$/);
  assert.match(notify ?? "", /^shop--notify-[0-9a-f]{8}$/);
  assert.deepEqual(jobs("r-1"), [migrate, notify]);
  assert.notEqual(jobs("r-2")[0], migrate);
  const objects = objectsOf(body);
  const wave = (kind: string, name: string) =>
    find(objects, kind, name).metadata.annotations?.["argocd.argoproj.io/sync-wave"];
  assert.equal(wave("Job", migrate!), "-1");
  assert.equal(wave("Job", notify!), "1");
  assert.equal(wave("ServiceAccount", "shop"), "-2", "what the migration reads comes first");
  assert.equal(wave("Deployment", "shop"), undefined);
  assert.equal(
    find(objects, "Job", migrate!).metadata.annotations?.["slipway.dev/deploy-phase"],
    "pre-deploy",
  );
});

test("a route reaches a process's Service; routes to UDP ports and repeated host and path are refused at their line", () => {
  const objects = objectsOf(`processes:
  streaming:
    ports: [{ name: ws, port: 4000 }]
    health: { readiness: { tcp: { port: ws } } }
routes:
  - paths: ["/"]
  - paths: ["/stream"]
    process: streaming
`);
  const paths = (
    find(objects, "Ingress", "shop").spec as {
      rules: {
        http: { paths: { path: string; backend: { service: { name: string; port: { name: string } } } }[] };
      }[];
    }
  ).rules[0]?.http.paths;
  assert.deepEqual(
    paths?.map((p) => `${p.path} ${p.backend.service.name}:${p.backend.service.port.name}`),
    ["/ shop:http", "/stream shop--streaming:ws"],
  );
  const udp = problemsOf(
    "routes: [{ port: dns }]\n",
    HEAD.replace(
      "ports: [{ name: http, port: 8080 }]",
      "ports: [{ name: http, port: 8080 }, { name: dns, port: 53, protocol: UDP }]",
    ),
  );
  assert.equal(udp[0]?.path, "routes[0].port");
  assert.match(udp[0]?.message ?? "", /UDP: HTTP routes reach TCP ports only/);
  const twice = problemsOf(`routes:\n  - paths: ["/api"]\n  - paths: ["/", "/api"]\n`);
  assert.equal(twice[0]?.path, "routes[1].paths[1]");
  assert.equal(twice[0]?.line, 14);
  assert.match(twice[0]?.message ?? "", /already routed by routes\[0\]/);
  const unknown = problemsOf(`routes: [{ process: nope }]\n`);
  assert.match(unknown[0]?.message ?? "", /names process `nope`, which is not under processes/);
});

test("a glob path is refused at validate: Prefix matching would take `*` literally", () => {
  const [glob] = problemsOf(`routes: [{ paths: ["/api/*"] }]\n`);
  assert.equal(glob?.path, "routes[0].paths[0]");
  assert.equal(glob?.line, 12);
  assert.match(glob?.message ?? "", /`\*` matches only itself; write `\/api`/);
});

test("a preview never takes a fixed host of the channels, unless the preview environment writes it", () => {
  const body = `routes: [{ host: shop.example.com, paths: ["/"] }]\n`;
  const host = (objects: KubeObject[]) =>
    (find(objects, "Ingress", "shop").spec as { rules: { host: string }[] }).rules[0]?.host;
  assert.equal(host(objectsOf(body, "stable")), "shop.example.com");
  assert.equal(host(objectsOf(body, "preview:feat-x")), "shop-pr-feat-x.preview.example.com");
  const explicit = `${body}environments:\n  preview:\n    routes: [{ host: shop.example.com, paths: ["/preview"] }]\n`;
  assert.equal(host(objectsOf(explicit, "preview:feat-x")), "shop.example.com");
});

test("names of two apps in one namespace never meet", () => {
  // App `shop` with account `shop-api` would take app `shop-api`'s default account.
  const [account] = problemsOf(`serviceAccount: { name: shop-api }\n`);
  assert.match(account?.message ?? "", /default account of an app named shop-api: use `shop--api`/);
  assert.equal(problemsOf(`serviceAccount: { name: shop--api }\n`).length, 0);
  // Secret `api-keys` of app `shop` and secret `keys` of app `shop-api`.
  const secret = (app: string, name: string) =>
    render({
      app: parseAppSpec(
        `${HEAD.replace("name: shop", `name: ${app}`).replace(
          "registry.example.com/shop",
          `registry.example.com/${app}`,
        )}secrets: [{ name: ${name}, file: s.enc.yaml }]\n`,
        `${app}/slipway.yaml`,
        platform,
      ),
      platform,
      target: "develop",
    }).objects.find((o) => o.kind === "Secret")?.metadata.name;
  assert.equal(secret("shop", "app"), "shop-app", "names without a dash keep their form");
  assert.notEqual(secret("shop", "api-keys"), secret("shop-api", "keys"));
  assert.equal(secret("shop", "api-keys"), "shop--api-keys");
  // A part `worker` of app `shop` is `shop--worker`, never app `shop-worker`'s `shop-worker`.
  assert.ok(find(objectsOf(WORKER), "Deployment", "shop--worker"));
  const [dashes] = checkAppSpec(HEAD.replace("name: shop", "name: shop--x"), "s.yaml", platform).problems;
  assert.match(dashes?.message ?? "", /may not hold `--`/);
});
