import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePlatform } from "../spec/parse.ts";
import { channelSettings, type DeploymentRecord, promotionCandidate, rollbackTarget } from "./promotion.ts";
import { manifestDiff } from "./promotion-render.ts";

const channels = [{ name: "develop" }, { name: "staging", promote: "auto" as const }, { name: "stable" }];
let n = 0;
const dep = (releaseId: string, status: string, available: boolean): DeploymentRecord => {
  n++;
  const at = `2026-03-0${n}T00:00:00.000Z`;
  return {
    id: `dep_${n}`,
    targetName: "x",
    releaseId,
    sequence: n,
    status,
    createdBy: "alice",
    startedAt: at,
    availableAt: available ? at : null,
    updatedAt: at,
  };
};
const newestFirst = (...ds: DeploymentRecord[]) => [...ds].reverse();

test("channel settings: the first deploys new releases by itself, the others are promoted into", () => {
  assert.deepEqual(
    channels.map((c) => {
      const s = channelSettings(channels, c.name);
      return [s.name, s.previous, s.autoDeploy, s.promote];
    }),
    [
      ["develop", undefined, true, "manual"],
      ["staging", "develop", false, "auto"],
      ["stable", "staging", false, "manual"],
    ],
  );
  assert.throws(
    () => channelSettings(channels, "prod"),
    /its channels, in promotion order: develop → staging → stable/,
  );
});

test("the candidate is the release available before; refusals name what is there", () => {
  n = 0;
  const facts = {
    app: { name: "shop", teamName: "payments" },
    channels,
    to: "stable",
    toDeployments: [],
    now: new Date(),
    lineStop: null,
  };
  const available = dep("rel_a", "available", true);
  const failing = dep("rel_b", "failed", false);
  const c = promotionCandidate({ ...facts, fromDeployments: newestFirst(available, failing) });
  assert.equal(
    c.source.releaseId,
    "rel_a",
    "a failed newer deployment does not hide what serves the channel",
  );
  assert.equal(c.from, "staging");
  assert.throws(
    () => promotionCandidate({ ...facts, fromDeployments: newestFirst(failing) }),
    /nothing of shop is available in staging to promote to stable: its latest deployment there, dep_2 \(release rel_b\), is failed/,
  );
  assert.throws(
    () =>
      promotionCandidate({ ...facts, release: "rel_b", fromDeployments: newestFirst(available, failing) }),
    /release rel_b is not the one available in staging: staging runs release rel_a/,
  );
  assert.throws(
    () => promotionCandidate({ ...facts, to: "develop", fromDeployments: [] }),
    /develop is the first channel/,
  );
});

test("rollback: the release available before the live one, or before a failed newest; a named one must have run there", () => {
  n = 0;
  const one = dep("rel_1", "superseded", true);
  const two = dep("rel_2", "superseded", true);
  const three = dep("rel_3", "available", true);
  const plan = rollbackTarget("stable", newestFirst(one, two, three), undefined);
  assert.deepEqual([plan.releaseId, plan.undoes.id, plan.restores.id], ["rel_2", "dep_3", "dep_2"]);
  const failed = dep("rel_4", "failed", false);
  // Nothing newer is live than dep_3 after the failure: that is what is undone.
  assert.equal(rollbackTarget("stable", newestFirst(one, two, three, failed), undefined).releaseId, "rel_2");
  assert.equal(rollbackTarget("stable", newestFirst(one, two, three), "rel_1").restores.id, "dep_1");
  assert.throws(
    () => rollbackTarget("stable", newestFirst(one, two, three), "rel_4"),
    /release rel_4 was never available in stable, so it is not rolled back to; releases that were: rel_3, rel_2, rel_1/,
  );
  assert.throws(
    () => rollbackTarget("stable", newestFirst(three), "rel_3"),
    /stable already runs release rel_3/,
  );
  assert.throws(() => rollbackTarget("stable", newestFirst(three), undefined), /nothing to roll back to/);
  assert.throws(() => rollbackTarget("stable", [], undefined), /nothing was ever deployed to stable/);
});

test("the dry run's manifest diff redacts secret values and says which changed", () => {
  const secret = (value: string) => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "db", namespace: "shop" },
    data: { password: value, user: "YWRtaW4=" },
  });
  const diff = manifestDiff([secret("c2VjcmV0")], [secret("bmV3")]);
  assert.doesNotMatch(diff, /c2VjcmV0|bmV3|YWRtaW4=/);
  assert.match(diff, /- {2}password: <redacted>\n\+ {2}password: <redacted, changed>/);
  assert.equal(manifestDiff([secret("x")], [secret("x")]), "");
});

test("the platform file takes gates and refuses a time zone or a time of day it cannot read", () => {
  const file = (gates: string) =>
    `apiVersion: slipway.dev/v1\nkind: Platform\nclusters: [{ name: c, gitops: { directory: g } }]\nchannels:\n  - { name: develop, cluster: c }\n  - name: stable\n    cluster: c\n    promote: auto\n    gates: ${gates}\n`;
  const ok = parsePlatform(
    file(
      '{ soak: 30m, approvals: 2, windows: [{ days: [mon], from: "09:00", to: "17:00", timeZone: Europe/Berlin }] }',
    ),
    "p.yaml",
  );
  assert.equal(channelSettings(ok.platform.channels, "stable").gates.soakSeconds, 1800);
  const problem = (gates: string) => {
    try {
      parsePlatform(file(gates), "p.yaml");
    } catch (error) {
      const { problems } = error as {
        problems: readonly { path: string; message: string }[];
      };
      return problems.map((p) => `${p.path}: ${p.message}`).join("\n");
    }
    return "accepted";
  };
  assert.match(
    problem('{ windows: [{ from: "09:00", to: "17:00", timeZone: Mars/Olympus }] }'),
    /channels\[1\]\.gates\.windows\[0\]\.timeZone: must be an IANA time zone/,
  );
  assert.match(
    problem('{ windows: [{ from: "9am", to: "17:00" }] }'),
    /windows\[0\]\.from: must be a time of day such as 09:00/,
  );
});
