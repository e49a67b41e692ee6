import assert from "node:assert/strict";
import { test } from "node:test";
import { podProblems } from "./diagnose.ts";
import { rolloutState } from "./rollout.ts";

const d = (status: object, replicas = 2) => ({
  metadata: { name: "web", generation: 3 },
  spec: { replicas },
  status,
});

test("a rollout is done only when the new generation is observed, updated and available", () => {
  assert.equal(
    rolloutState(d({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }), 3)
      .state,
    "waiting",
  );
  assert.equal(
    rolloutState(d({ observedGeneration: 3, replicas: 3, updatedReplicas: 2, availableReplicas: 2 }), 3)
      .state,
    "waiting",
  );
  assert.equal(
    rolloutState(d({ observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }), 3)
      .state,
    "waiting",
  );
  assert.equal(
    rolloutState(d({ observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }), 3)
      .state,
    "done",
  );
});

test("a passed progress deadline is a failure", () => {
  const st = rolloutState(
    d({
      observedGeneration: 3,
      conditions: [
        {
          type: "Progressing",
          status: "False",
          reason: "ProgressDeadlineExceeded",
          message: 'ReplicaSet "web-1" has timed out progressing.',
        },
      ],
    }),
    3,
  );
  assert.deepEqual(st, {
    state: "failed",
    reason: "ProgressDeadlineExceeded",
    message: 'ReplicaSet "web-1" has timed out progressing.',
  });
});

test("pod problems name the false conditions and container states", () => {
  const problems = podProblems({
    metadata: { name: "web-1" },
    status: {
      phase: "Failed",
      conditions: [{ type: "Ready", status: "False", reason: "ContainersNotReady" }],
      containerStatuses: [{ name: "app", state: { terminated: { reason: "Error", exitCode: 1 } } }],
    },
  });
  assert.deepEqual(problems, [
    "Ready=False (ContainersNotReady)",
    "container app terminated: Error, exit code 1",
  ]);
});
