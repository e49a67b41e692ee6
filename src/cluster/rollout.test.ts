import assert from "node:assert/strict";
import { test } from "node:test";
import { newReplicaSetHash, podProblems } from "./diagnose.ts";
import { pollDelayMs, rolloutState } from "./rollout.ts";

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

test("the new ReplicaSet is the Deployment's own at its revision; without a revision there is none", () => {
  const rs = (hash: string, revision: string, owner = "d-1") => ({
    metadata: {
      labels: { "pod-template-hash": hash },
      annotations: { "deployment.kubernetes.io/revision": revision },
      ownerReferences: [{ uid: owner }],
    },
  });
  const sets = [rs("aaa", "1"), rs("bbb", "3"), rs("ccc", "3", "someone-else"), rs("ddd", "2")];
  assert.equal(newReplicaSetHash(sets, { uid: "d-1", revision: "3" }), "bbb");
  assert.equal(newReplicaSetHash(sets, { uid: "d-1", revision: "4" }), undefined);
  assert.equal(newReplicaSetHash(sets, { uid: "d-1", revision: undefined }), undefined);
});

test("a missed deadline older than the apply is the previous rollout's: waited on, not a failure", () => {
  const timedOut = (at: string) => ({
    metadata: {
      name: "web",
      generation: 4,
      managedFields: [
        {
          manager: "kube-controller-manager",
          operation: "Update",
          subresource: "status",
          time: "2026-11-23T10:00:09Z",
        },
        { manager: "slipway", operation: "Apply", time: "2026-11-23T10:00:05Z" },
      ],
    },
    spec: { replicas: 2 },
    status: {
      observedGeneration: 4,
      replicas: 3,
      updatedReplicas: 2,
      availableReplicas: 1,
      conditions: [
        {
          type: "Progressing",
          status: "False",
          reason: "ProgressDeadlineExceeded",
          message: 'ReplicaSet "web-2" has timed out progressing.',
          lastUpdateTime: at,
        },
      ],
    },
  });
  // Rolled back at 10:00:05 to a ReplicaSet that exists; the verdict about web-2 is from before.
  for (const at of ["2026-11-23T10:00:01Z", "2026-11-23T10:00:05Z"]) {
    assert.deepEqual(rolloutState(timedOut(at), 4), {
      state: "waiting",
      ready: 1,
      desired: 2,
      why: "no progress seen yet",
      previousVerdict: 'ReplicaSet "web-2" has timed out progressing.',
    });
  }
  assert.equal(rolloutState(timedOut("2026-11-23T10:00:06Z"), 4).state, "failed");
});

test("a rollout is polled at the base rate at first, then at a quarter of its wait, never under the base or over two seconds", () => {
  assert.deepEqual(
    [0, 500, 1_000, 2_000, 4_000, 8_000, 60_000].map((elapsed) => pollDelayMs(elapsed, 250)),
    [250, 250, 250, 500, 1_000, 2_000, 2_000],
  );
  assert.equal(pollDelayMs(60_000, 5_000), 5_000, "a caller's slower base stays");
});
