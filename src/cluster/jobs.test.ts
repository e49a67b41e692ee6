import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiClient } from "./api-client.ts";
import { jobFailure, jobState, LOG_LINES } from "./jobs.ts";
import { splitPhases } from "./phases.ts";
import type { HttpRequest, HttpResponse, Transport } from "./transport.ts";
import { statefulSetState } from "./workload-status.ts";

test("a Job is done when Complete, failed when Failed with the controller's reason, else waiting", () => {
  const at = (type: string, reason?: string) => ({
    metadata: { name: "j" },
    status: { conditions: [{ type, status: "True", ...(reason ? { reason, message: "why" } : {}) }] },
  });
  assert.deepEqual(jobState(at("Complete")), { state: "done" });
  assert.deepEqual(jobState(at("Failed", "DeadlineExceeded")), {
    state: "failed",
    reason: "DeadlineExceeded",
    message: "why",
  });
  assert.equal(jobState({ metadata: { name: "j" }, status: { active: 1 } }).state, "waiting");
});

test("a failed Job's error quotes the last lines of its failed pod's log", async () => {
  const log = Array.from({ length: LOG_LINES }, (_, i) => `line ${i + 1}`).join("\n");
  const paths: string[] = [];
  const transport: Transport = {
    server: "https://test",
    async send(req: HttpRequest): Promise<HttpResponse> {
      paths.push(req.path);
      if (req.path.includes("/log?")) return { status: 200, body: `${log}\n` };
      const pod = {
        metadata: { name: "shop--migrate-1a2b3c4d-x9" },
        status: {
          phase: "Failed",
          containerStatuses: [
            { name: "shop--migrate", state: { terminated: { reason: "Error", exitCode: 3 } } },
          ],
        },
      };
      return { status: 200, body: JSON.stringify({ items: [pod] }) };
    },
  };
  const error = await jobFailure(
    new ApiClient(transport),
    { metadata: { name: "shop--migrate-1a2b3c4d", namespace: "shop" } },
    "BackoffLimitExceeded",
    "Job has reached the specified backoff limit",
  );
  assert.equal(error.code, "SLIPWAY_E_ROLLOUT_FAILED");
  assert.match(error.message, /^Job\/shop\/shop--migrate-1a2b3c4d failed \(BackoffLimitExceeded: /);
  assert.match(
    error.message,
    /pod shop--migrate-1a2b3c4d-x9: container shop--migrate terminated: Error, exit code 3/,
  );
  assert.match(error.message, /last 20 log lines of shop--migrate-1a2b3c4d-x9:\n {4}\| line 1\n/);
  assert.match(error.message, / {4}\| line 20$/);
  assert.ok(paths.some((p) => p.includes(`tailLines=${LOG_LINES}`)));
});

test("a StatefulSet is done once every replica runs the update revision and is ready", () => {
  const base = { metadata: { name: "db" }, spec: { replicas: 2 } };
  const status = (s: object) => statefulSetState({ ...base, status: { observedGeneration: 2, ...s } }, 2);
  assert.equal(statefulSetState({ ...base, status: { observedGeneration: 1 } }, 2).state, "waiting");
  assert.equal(status({ updatedReplicas: 1, readyReplicas: 2 }).state, "waiting");
  assert.equal(
    status({ updatedReplicas: 2, readyReplicas: 2, currentRevision: "a", updateRevision: "b" }).state,
    "waiting",
  );
  assert.equal(
    status({ updatedReplicas: 2, readyReplicas: 2, currentRevision: "b", updateRevision: "b" }).state,
    "done",
  );
});

test("deploy-time Jobs split a deploy into what they read and run first, the rest, and what runs last", () => {
  const o = (kind: string, name: string, phase?: string) => ({
    apiVersion: "v1",
    kind,
    metadata: {
      name,
      namespace: "n",
      ...(phase ? { annotations: { "slipway.dev/deploy-phase": phase } } : {}),
    },
  });
  const objects = [
    o("ConfigMap", "c"),
    o("Deployment", "d"),
    o("Job", "pre", "pre-deploy"),
    o("Job", "post", "post-deploy"),
  ];
  const phases = splitPhases(objects);
  assert.deepEqual(
    phases?.early.map((x) => x.metadata.name),
    ["c", "pre"],
  );
  assert.deepEqual(
    phases?.main.map((x) => x.metadata.name),
    ["c", "d", "pre"],
  );
  assert.deepEqual(
    phases?.post.map((x) => x.metadata.name),
    ["post"],
  );
  assert.equal(splitPhases([o("ConfigMap", "c"), o("Deployment", "d")]), undefined);
});
