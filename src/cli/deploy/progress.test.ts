import assert from "node:assert/strict";
import { test } from "node:test";
import type { ApplyResult } from "../../delivery/deploy-target.ts";
import { type CliIo, memoryIo } from "../io.ts";
import { progressDisplay } from "./progress.ts";

const ESC = "\u001b";

const result: ApplyResult = {
  wrote: true,
  revision: "abc",
  changes: [
    { ref: "Deployment/shop/web", action: "update" },
    { ref: "Service/shop/web", action: "unchanged" },
  ],
};

test("on a terminal the frame is redrawn in place with objects, replicas and elapsed time", () => {
  const base = memoryIo();
  const io: CliIo & { stdout(): string } = { ...base, isTty: true };
  let clock = 0;
  const display = progressDisplay(io, { title: "web → stable", total: 2, now: () => clock, tickMs: 60_000 });
  clock = 1500;
  display.onProgress({ type: "object", ref: "Deployment/shop/web", action: "update" });
  display.onProgress({ type: "object", ref: "Ingress/shop/old", action: "delete" });
  display.onProgress({ type: "replicas", ref: "Deployment/shop/web", ready: 1, desired: 3 });
  clock = 2000;
  display.finish(result);

  const out = io.stdout();
  const erase = `${ESC}[1A${ESC}[2K`;
  const last = out.split(`${erase}\r`).at(-1) ?? "";
  assert.match(
    last,
    /✔ deploying web → stable {2}2\.0s\n {2}objects applied {2}1\/2, 1 deleted\n {2}Deployment\/shop\/web {2}1\/3 ready\n/,
  );
  // Each redraw erases exactly the previous frame: 2 lines, then 2, 2, then 3.
  const erased = [...out.matchAll(new RegExp(`((?:${ESC}\\[1A${ESC}\\[2K)+)\\r`, "g"))].map(
    (m) => (m[1] ?? "").length / erase.length,
  );
  assert.deepEqual(erased, [2, 2, 2, 3]);
  assert.ok(
    out.startsWith("\x1b[?25l") && out.includes("\x1b[?25h"),
    "cursor hidden while drawing, shown after",
  );
  assert.match(out, /1 updated, 0 deleted, 1 unchanged in 2\.0s\n$/);
});

test("without a terminal every event is one plain line", () => {
  const io = memoryIo();
  let clock = 0;
  const display = progressDisplay(io, { title: "web → stable", total: 2, now: () => clock });
  clock = 250;
  display.onProgress({ type: "replicas", ref: "Deployment/shop/web", ready: 2, desired: 3 });
  display.onProgress({ type: "revision", id: "0123456789abcdef", pushed: true });
  display.finish({ wrote: false, changes: [{ ref: "Service/shop/web", action: "unchanged" }] });
  assert.equal(
    io.stdout(),
    [
      "deploying web → stable: 2 objects",
      "[0.3s] Deployment/shop/web 2/3 ready",
      "[0.3s] committed 0123456789ab and pushed",
      "nothing to change (0 created, 0 updated, 0 deleted, 1 unchanged) in 0.3s",
      "",
    ].join("\n"),
  );
});

test("a rollback after a failed rollout is shown with its reason, counted afresh, and the frame ends failed", () => {
  const base = memoryIo();
  const io: CliIo & { stdout(): string } = { ...base, isTty: true };
  const display = progressDisplay(io, { title: "web → stable", total: 2, now: () => 0, tickMs: 60_000 });
  display.onProgress({ type: "object", ref: "Deployment/shop/web", action: "update" });
  display.onProgress({ type: "object", ref: "ConfigMap/shop/web-extra", action: "create" });
  display.onProgress({ type: "replicas", ref: "Deployment/shop/web", ready: 0, desired: 2 });
  display.onProgress({ type: "rollback", reason: "ProgressDeadlineExceeded: timed out", objects: 3 });
  display.onProgress({ type: "object", ref: "Deployment/shop/web", action: "update" });
  display.onProgress({ type: "object", ref: "ConfigMap/shop/web-extra", action: "delete" });
  display.onProgress({ type: "replicas", ref: "Deployment/shop/web", ready: 2, desired: 2 });
  display.abort();

  const last = io.stdout().split(`${ESC}[1A${ESC}[2K\r`).at(-1) ?? "";
  assert.equal(
    last,
    [
      "✘ deploying web → stable  0.0s",
      "  rollout failed  ProgressDeadlineExceeded: timed out",
      "  rolling back to the previous revision  1/3, 1 deleted",
      "  Deployment/shop/web  2/2 ready",
      `${ESC}[?25h`,
    ].join("\n"),
  );
});

test("without a terminal the rollback is one line naming the failure", () => {
  const io = memoryIo();
  const display = progressDisplay(io, { title: "web → stable", total: 2, now: () => 0 });
  display.onProgress({
    type: "rollback",
    reason: "PodsFailing: 3 new pods failed or cannot start",
    objects: 4,
  });
  display.abort();
  assert.match(
    io.stdout(),
    /^\[0\.0s\] rollout failed \(PodsFailing: 3 new pods failed or cannot start\); rolling back to the previous revision \(4 objects\)$/m,
  );
});

const waitingEvent = {
  type: "waiting",
  phase: "apply",
  text: "API server answered 504 Timeout 3 times; next try in 4 s",
  answer: "answered 504 Timeout",
  failures: 3,
  nextTryMs: 4000,
  over: false,
  waitedMs: 6200,
} as const;

test("while the target is retried, the frame says what it waits for, until it answers again", () => {
  const base = memoryIo();
  const io: CliIo & { stdout(): string } = { ...base, isTty: true };
  const display = progressDisplay(io, { title: "web → stable", total: 2, now: () => 0, tickMs: 60_000 });
  display.onProgress(waitingEvent);
  const frame = () => io.stdout().split(`${ESC}[1A${ESC}[2K`).at(-1) ?? "";
  assert.match(
    frame(),
    / {2}waiting: API server answered 504 Timeout 3 times; next try in 4 s \(apply, waiting 6 s\)\n$/,
  );
  display.onProgress({ ...waitingEvent, text: "API server answers again", nextTryMs: 0, over: true });
  assert.doesNotMatch(frame(), /waiting:/);
  display.finish(result);
});

test("without a terminal each wait is one line, and so is the end of it", () => {
  const io = memoryIo();
  const display = progressDisplay(io, { title: "web → stable", total: 2, now: () => 0 });
  display.onProgress(waitingEvent);
  display.onProgress({
    ...waitingEvent,
    text: "API server answers again (after 3 failed attempts, 9.1 s)",
    nextTryMs: 0,
    over: true,
  });
  assert.match(
    io.stdout(),
    /^\[0\.0s\] waiting: API server answered 504 Timeout 3 times; next try in 4 s \(apply, waiting 6 s\)\n\[0\.0s\] API server answers again \(after 3 failed attempts, 9\.1 s\)$/m,
  );
});
