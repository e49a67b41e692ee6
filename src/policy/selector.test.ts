import assert from "node:assert/strict";
import { test } from "node:test";
import { matchesLabelSelector } from "./selector.ts";

const labels = { app: "web", tier: "frontend" };

test("matchLabels and matchExpressions are ANDed with the API server's operators", () => {
  assert.equal(matchesLabelSelector({}, labels), true, "the empty selector selects everything");
  assert.equal(matchesLabelSelector({ matchLabels: { app: "web" } }, labels), true);
  assert.equal(matchesLabelSelector({ matchLabels: { app: "api" } }, labels), false);
  const expr = (operator: string, values?: string[]) => ({
    matchExpressions: [{ key: "tier", operator, ...(values ? { values } : {}) }],
  });
  assert.equal(matchesLabelSelector(expr("In", ["frontend", "edge"]), labels), true);
  assert.equal(matchesLabelSelector(expr("NotIn", ["frontend"]), labels), false);
  assert.equal(matchesLabelSelector(expr("Exists"), labels), true);
  assert.equal(matchesLabelSelector(expr("DoesNotExist"), labels), false);
  assert.equal(matchesLabelSelector(expr("Sometimes"), labels), false, "an unknown operator selects nothing");
});
