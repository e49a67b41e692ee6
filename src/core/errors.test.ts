import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ErrorCode,
  exitCodeFor,
  formatProblem,
  httpStatusFor,
  isSlipwayError,
  SlipwayError,
} from "./errors.ts";

test("a user's input mistake exits 2 and answers 400; a failed operation exits 1", () => {
  assert.equal(exitCodeFor(ErrorCode.SpecInvalid), 2);
  assert.equal(httpStatusFor(ErrorCode.SpecInvalid), 400);
  assert.equal(exitCodeFor(ErrorCode.RolloutFailed), 1);
  assert.equal(httpStatusFor(ErrorCode.Forbidden), 403);
});

test("errors are recognised by code, also across copies of the class", () => {
  const copy = { code: ErrorCode.Conflict, message: "x" };
  assert.ok(isSlipwayError(new SlipwayError(ErrorCode.Conflict, "x")));
  assert.ok(isSlipwayError(copy));
  assert.ok(!isSlipwayError(new Error("plain")));
});

test("a problem reads file:line:column, the field and the hint", () => {
  const text = formatProblem({
    file: "slipway.yaml",
    line: 4,
    column: 3,
    path: "replcas",
    message: "unknown field",
    hint: "did you mean `replicas`?",
  });
  assert.equal(text, "slipway.yaml:4:3 replcas: unknown field (did you mean `replicas`?)");
});
