import assert from "node:assert/strict";
import { test } from "node:test";
import { AdaptiveLimiter, backoffMs } from "./limiter.ts";

test("never more requests in flight than the limit", async () => {
  const limiter = new AdaptiveLimiter({ initial: 3, min: 1, max: 3 });
  let inFlight = 0;
  let peak = 0;
  await Promise.all(
    Array.from({ length: 20 }, () =>
      limiter.run(async () => {
        peak = Math.max(peak, ++inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
      }),
    ),
  );
  assert.equal(peak, 3);
});

test("throttling halves the window (once per cool-down) and successes grow it back", () => {
  const limiter = new AdaptiveLimiter({ initial: 16, min: 2, max: 20 });
  limiter.onThrottle(1000);
  limiter.onThrottle(1100); // same storm: not halved again
  assert.equal(limiter.limit, 8);
  limiter.onThrottle(2000);
  assert.equal(limiter.limit, 4);
  for (let i = 0; i < 4; i++) limiter.onSuccess();
  assert.equal(limiter.limit, 5);
  for (let i = 0; i < 10; i++) limiter.onThrottle(10_000 + i * 1000);
  assert.equal(limiter.limit, 2);
});

test("backoff grows, is capped, and honours Retry-After", () => {
  const mid = () => 0.5;
  assert.ok(backoffMs(0, undefined, mid) < backoffMs(3, undefined, mid));
  assert.ok(backoffMs(30, undefined, mid) <= 5000);
  assert.equal(
    backoffMs(0, 2, () => 1),
    2000,
  );
});
