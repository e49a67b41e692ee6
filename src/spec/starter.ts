/** The commented starter slipway.yaml that `slipway init` writes. Pure. */
import type { DetectedProject } from "./detect-project.ts";

/** A digest that pins nothing real: enough to render and validate before the first build. */
export const PLACEHOLDER_DIGEST = `sha256:${"0".repeat(64)}`;

/** The repository the starter names; the CLI prints the same in its next-step hint. */
export function starterRepository(name: string, team: string): string {
  return `registry.example.com/${team}/${name}`;
}

export function starterSpec(options: { name: string; team: string; project: DetectedProject }): string {
  const { name, team, project } = options;
  const repository = starterRepository(name, team);
  const command = project.command
    ? `command: [${project.command.map((c) => JSON.stringify(c)).join(", ")}]`
    : '# command: ["./start"]   (unset: the image\'s own entrypoint starts the app)';
  // The render hint must work as printed: the spec pins no image, so it passes a placeholder one.
  return `# slipway.yaml: how ${name} runs on Kubernetes. Detected: ${project.evidence}.
# Schema for editors: https://slipway.dev/schemas/app.schema.json (also in schemas/ of Slipway).
# Check it from this directory with \`slipway validate --app .\`; see it rendered with
#   slipway render --app . --target develop --image ${repository}@${PLACEHOLDER_DIGEST}
apiVersion: slipway.dev/v1
kind: App
name: ${name}
team: ${team}

image:
  # The release supplies the digest (slipway deploy --image ${"<repository>"}@sha256:…).
  repository: ${repository}

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
