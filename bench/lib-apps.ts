/**
 * The benchmark's workload: N generated apps rendered by Slipway's own renderer for one channel,
 * each 10 objects (Deployment, Service, Ingress, HPA, PDB, NetworkPolicy, ServiceAccount, two
 * ConfigMaps, Secret); every fourth app also runs a queue worker (a Deployment, a budget and a
 * NetworkPolicy of its own) and a nightly CronJob (with its NetworkPolicy), 15 objects in all. Secrets get generated values, standing in for the materialized SOPS values
 * a real deploy would carry; the second ConfigMap (feature flags) is added here, as a platform
 * hook would.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { KubeObject } from "../src/core/kube-object.ts";
import { render } from "../src/render/render.ts";
import { parseAppSpec, parsePlatform } from "../src/spec/parse.ts";

export interface BenchApp {
  readonly name: string;
  readonly namespace: string;
  readonly objects: KubeObject[];
}

const platformFile = fileURLToPath(new URL("../examples/slipway.platform.yaml", import.meta.url));

/** Every fourth app: a worker process and a CronJob besides the web process. */
const PARTS = `processes:
  worker:
    command: ["/app/worker"]
    replicas: 2
cronJobs:
  nightly:
    schedule: "0 3 * * *"
    command: ["/app/report"]
`;

function specYaml(name: string, team: string, logLevel: string, parts: boolean): string {
  return `apiVersion: slipway.dev/v1
kind: App
name: ${name}
team: ${team}
image:
  repository: registry.example.com/${team}/${name}
  tag: "1.0.0"
ports:
  - name: http
    port: 8080
env:
  LOG_LEVEL: ${logLevel}
  UPSTREAM: http://${name}-upstream:8080
configFiles:
  - path: /app/config/settings.json
    content: |
      {"app": "${name}", "cache": true}
secrets:
  - name: app
    file: secrets/staging.enc.yaml
resources:
  requests: { cpu: 100m, memory: 128Mi }
  limits: { memory: 256Mi }
autoscaling:
  minReplicas: 2
  maxReplicas: 6
  cpu: 75
health:
  readiness:
    http: { path: /ready, port: http }
routes:
  - host: ${name}.staging.apps.example.com
    paths: ["/"]
    port: http
    tls: true
networkPolicy:
  callers: [gateway]
${parts ? PARTS : ""}`;
}

/**
 * `count` apps over `teams` teams (one namespace per team). `namespaceSuffix` keeps two copies of
 * the same workload apart (one for kubectl, one for Slipway); `changed` renders that app with one
 * env value changed.
 */
export function generateApps(
  count: number,
  teams: number,
  namespaceSuffix: string,
  changed?: string,
): BenchApp[] {
  const examplePlatform = parsePlatform(readFileSync(platformFile, "utf8"), "examples/slipway.platform.yaml");
  // The workload's teams join the example's, as a platform team would list them.
  const generatedTeams = Array.from({ length: teams }, (_, t) => ({
    name: `team${String(t).padStart(2, "0")}`,
  }));
  const platform = {
    ...examplePlatform,
    platform: {
      ...examplePlatform.platform,
      teams: [...(examplePlatform.platform.teams ?? []), ...generatedTeams],
    },
  };
  const apps: BenchApp[] = [];
  for (let i = 0; i < count; i++) {
    const name = `app-${String(i).padStart(3, "0")}`;
    const team = `team${String(i % teams).padStart(2, "0")}`;
    const loaded = parseAppSpec(
      specYaml(name, team, name === changed ? "debug" : "info", i % 4 === 0),
      `${name}/slipway.yaml`,
      platform,
    );
    const { objects } = render({ app: loaded, platform, target: "staging" });
    let namespace = "";
    for (const o of objects) {
      namespace = `${o.metadata.namespace}${namespaceSuffix}`;
      o.metadata.namespace = namespace;
      if (o.kind === "Secret") o.data = { password: Buffer.from(`secret-of-${name}`).toString("base64") };
    }
    const config = objects.find((o) => o.kind === "ConfigMap");
    if (config) {
      objects.push({
        ...config,
        metadata: { ...config.metadata, name: `${name}-flags` },
        data: { "flags.yaml": `newCheckout: ${i % 2 === 0}\nbetaSearch: false\n` },
      });
    }
    apps.push({ name, namespace, objects });
  }
  return apps;
}
