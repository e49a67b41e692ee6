import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../core/kube-object.ts";
import { namespaceConflict, ownershipConflict } from "./ownership.ts";

const live = (labels: Record<string, string>, managers: string[] = ["slipway"]): KubeObject => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: {
    name: "ledger",
    namespace: "finance",
    labels,
    managedFields: managers.map((manager) => ({ manager, operation: "Apply" })),
  },
});
const finance = {
  "slipway.dev/app": "ledger",
  "slipway.dev/target": "stable",
  "slipway.dev/team": "finance",
};
const shop = { app: "shop", target: "preview-x", team: "commerce" };
const REF = "ServiceAccount/finance/ledger";

test("another app's object is a conflict naming its owner, even with force", () => {
  for (const mayAdopt of [false, true]) {
    const why = ownershipConflict(REF, live(finance), shop, mayAdopt);
    assert.equal(
      why,
      "ServiceAccount/finance/ledger belongs to app ledger in target stable (team finance); " +
        "app shop in target preview-x (team commerce) may not take it over or delete it " +
        "(--force-conflicts does not change that). Rename the object in the app, or have its owner remove it",
    );
  }
});

test("the same app in another target is another owner too", () => {
  assert.match(
    ownershipConflict(REF, live(finance), { app: "ledger", target: "staging", team: "finance" }, false) ?? "",
    /belongs to app ledger in target stable/,
  );
});

test("the app's own object may be written; with another team's label it may not", () => {
  assert.equal(
    ownershipConflict(REF, live(finance), { app: "ledger", target: "stable", team: "finance" }, false),
    undefined,
  );
  assert.equal(ownershipConflict(REF, live(finance), { app: "ledger", target: "stable" }, false), undefined);
  assert.match(
    ownershipConflict(REF, live(finance), { app: "ledger", target: "stable", team: "commerce" }, false) ?? "",
    /was deployed for team finance, but app ledger now says team commerce/,
  );
});

test("an object Slipway never applied is a conflict naming its managers, unless adoption is allowed", () => {
  const foreign = live({}, ["kubectl-create", "terraform"]);
  assert.match(
    ownershipConflict(REF, foreign, shop, false) ?? "",
    /already exists and is not Slipway's \(managed by kubectl-create, terraform\).*--force-conflicts/,
  );
  assert.equal(ownershipConflict(REF, foreign, shop, true), undefined);
});

test("a namespace labelled for another app, target or team takes no objects of this one", () => {
  const ns = (labels: Record<string, string>): KubeObject => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "ledger-pr-x", labels },
  });
  assert.match(
    namespaceConflict(ns({ ...finance, "slipway.dev/target": "preview-x" }), shop) ?? "",
    /^namespace ledger-pr-x belongs to app ledger in target preview-x \(team finance\); app shop/,
  );
  assert.match(namespaceConflict(ns({ "slipway.dev/team": "finance" }), shop) ?? "", /is team finance's/);
  assert.equal(
    namespaceConflict(ns({}), shop),
    undefined,
    "an unlabelled namespace is the operator's to share",
  );
  assert.equal(namespaceConflict(ns({ "slipway.dev/team": "commerce" }), shop), undefined);
});
