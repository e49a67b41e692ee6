/** The platform file's `dora:` block, read by the real platform parser. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePlatform } from "../spec/parse.ts";
import { doraSettings } from "./dora-settings.ts";

const platform = (dora: string) =>
  [
    "apiVersion: slipway.dev/v1",
    "kind: Platform",
    "clusters:",
    "  - { name: ops, gitops: { directory: gitops } }",
    "channels:",
    "  - { name: staging, cluster: ops }",
    "  - { name: stable, cluster: ops }",
    "  - { name: canary, cluster: ops }",
    dora,
    "",
  ].join("\n");

test("without a dora block, production is the last channel and a failure is failed or rolled-back", () => {
  const { platform: p } = parsePlatform(platform(""), "platform.yaml");
  assert.deepEqual(doraSettings(p), {
    productionChannel: "canary",
    failureStatuses: ["failed", "rolled-back"],
    rollbacksAreFailures: true,
    fixForwardWithinSeconds: 86_400,
  });
});

test("the dora block names production, the failure statuses, rollbacks and the fix-forward time", () => {
  const { platform: p } = parsePlatform(
    platform(
      "dora: { productionChannel: stable, failure: { statuses: [failed], rollbacks: false }, rework: { fixForwardWithin: 4h } }",
    ),
    "platform.yaml",
  );
  assert.deepEqual(doraSettings(p), {
    productionChannel: "stable",
    failureStatuses: ["failed"],
    rollbacksAreFailures: false,
    fixForwardWithinSeconds: 4 * 3600,
  });
});

test("a production channel that is not a channel, or a misspelt field, is refused at its line", () => {
  assert.throws(
    () => parsePlatform(platform("dora: { productionChannel: stabel }"), "platform.yaml"),
    (error: {
      code?: string;
      problems?: { line: number; path: string; message: string; hint?: string }[];
    }) => {
      assert.equal(error.code, "SLIPWAY_E_PLATFORM_INVALID");
      const [problem] = error.problems ?? [];
      assert.equal(problem?.line, 9);
      assert.equal(problem?.path, "dora.productionChannel");
      assert.match(problem?.message ?? "", /channel `stabel` is not one of the channels/);
      assert.match(problem?.hint ?? "", /did you mean `stable`/);
      return true;
    },
  );
  assert.throws(
    () => parsePlatform(platform("dora: { failure: { status: [failed] } }"), "platform.yaml"),
    (error: { problems?: { path: string; message: string }[] }) => {
      assert.match(JSON.stringify(error.problems), /status/);
      return true;
    },
  );
});
