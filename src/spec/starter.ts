/** The commented starter slipway.yaml that `slipway init` writes. Pure. */
import type { DetectedProject } from "./detect-project.ts";

export function starterSpec(options: { name: string; team: string; project: DetectedProject }): string {
  const { name, team, project } = options;
  const command = project.command
    ? `command: [${project.command.map((c) => JSON.stringify(c)).join(", ")}]`
    : '# command: ["./start"]';
  return `# slipway.yaml: how ${name} runs on Kubernetes. Detected: ${project.evidence}.
# Schema for editors: https://slipway.dev/schemas/app.schema.json (also in schemas/ of Slipway).
# Check it with \`slipway validate --app .\`; see it rendered with \`slipway render --app . --target develop\`.
apiVersion: slipway.dev/v1
kind: App
name: ${name}
team: ${team}

image:
  # The release supplies the digest (slipway deploy --image ${"<repository>"}@sha256:…).
  repository: registry.example.com/${team}/${name}

ports:
  - name: http
    port: ${project.port}

${command}

env:
  LOG_LEVEL: info

resources:
  requests: { cpu: 100m, memory: 128Mi }
  limits: { memory: 256Mi }

replicas: 2

health:
  readiness:
    http: { path: /healthz, port: http }
  liveness:
    tcp: { port: http }

# Routes get <app>.<channel domain> unless a host is given.
routes:
  - paths: ["/"]
    port: http

# Per-environment overrides: maps merge, lists replace, null removes.
environments:
  preview:
    replicas: 1
`;
}
