/**
 * A StatefulSet's claims per replica join the pod's own mounts: a claim at a path the pod already
 * mounts (the built-in /tmp, a secret's directory) is refused by the API server, and a claim named
 * like one of the pod's volumes silently takes its place — both are refused at their line.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SlipwayError } from "../core/errors.ts";
import { parseAppSpec, parsePlatform } from "../spec/parse.ts";
import { render } from "./render.ts";

const platform = parsePlatform(
  "apiVersion: slipway.dev/v1\nkind: Platform\nclusters: [{ name: local, gitops: { directory: gitops } }]\nchannels: [{ name: develop, cluster: local }]\n",
  "slipway.platform.yaml",
);
const HEAD = `apiVersion: slipway.dev/v1
kind: App
name: sched
team: t
image: { repository: registry.example.com/sched, tag: "1" }
`;

function refusal(body: string) {
  try {
    render({ app: parseAppSpec(HEAD + body, "slipway.yaml", platform), platform, target: "develop" });
  } catch (error) {
    assert.ok(error instanceof SlipwayError);
    return error.problems;
  }
  assert.fail("expected a refusal");
}

test("a claim per replica on a path the pod already mounts, or inside a secret's, is refused at its line", () => {
  const [tmp] = refusal(
    "processes:\n  db:\n    kind: stateful\n    volumeClaims: [{ name: data, mountPath: /tmp, size: 1Gi }]\n",
  );
  assert.equal(tmp?.path, "processes.db.volumeClaims[0].mountPath");
  assert.equal(tmp?.line, 9);
  assert.match(tmp?.message ?? "", /already mounted .*scratch emptyDir/);
  const [inside] = refusal(
    "secrets: [{ name: app, file: s.enc.yaml, mountPath: /etc/s }]\nprocesses:\n  db:\n    kind: stateful\n    volumeClaims: [{ name: data, mountPath: /etc/s/data, size: 1Gi }]\n",
  );
  assert.equal(inside?.path, "processes.db.volumeClaims[0].mountPath");
  assert.match(inside?.message ?? "", /inside the read-only mount `\/etc\/s`/);
});

test("a claim named like one of the pod's volumes is refused instead of silently replacing it", () => {
  const [p] = refusal(
    "volumes: [{ name: data, mountPath: /var/cache, emptyDir: {} }]\nprocesses:\n  db:\n    kind: stateful\n    volumeClaims: [{ name: data, mountPath: /var/lib/data, size: 1Gi }]\n",
  );
  assert.equal(p?.path, "processes.db.volumeClaims[0].name");
  assert.match(p?.message ?? "", /already the name of a volume of the pod/);
  const ok = render({
    app: parseAppSpec(
      `${HEAD}volumes: [{ name: cache, mountPath: /var/cache, emptyDir: {} }]\nprocesses:\n  db:\n    kind: stateful\n    volumeClaims: [{ name: data, mountPath: /var/lib/data, size: 1Gi }]\n`,
      "slipway.yaml",
      platform,
    ),
    platform,
    target: "develop",
  }).objects.find((o) => o.kind === "StatefulSet");
  assert.ok(ok);
  assert.deepEqual(
    (ok.spec as { volumeClaimTemplates: { metadata: { name: string } }[] }).volumeClaimTemplates.map(
      (c) => c.metadata.name,
    ),
    ["data"],
  );
});

test("rollout fields a StatefulSet has no place for are refused, not dropped", () => {
  const problems = refusal(
    "processes:\n  db:\n    kind: stateful\n    rollout: { maxSurge: 1, minReadySeconds: 5 }\n",
  );
  assert.deepEqual(
    problems.map((p) => p.path),
    ["processes.db.rollout.maxSurge"],
  );
  assert.match(problems[0]?.message ?? "", /no maxSurge/);
  assert.equal(
    refusal("processes:\n  db:\n    kind: stateful\n    rollout: { strategy: Recreate }\n")[0]?.path,
    "processes.db.rollout.strategy",
  );
});
