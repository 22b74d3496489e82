import assert from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { TokenBucket } from "./token_bucket.ts";

Deno.test("TokenBucket allows a burst, then spaces requests at 1/qps", () => {
  const clock = new FakeClock();
  const bucket = new TokenBucket({ qps: 10, burst: 3, clock });
  assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()], [0, 0, 0]);
  assert.equal(Math.round(bucket.reserve()), 100);
  assert.equal(Math.round(bucket.reserve()), 200);
});

Deno.test("TokenBucket refills over time up to burst", async () => {
  const clock = new FakeClock();
  const bucket = new TokenBucket({ qps: 2, burst: 2, clock });
  assert.equal(bucket.tryTake(), true);
  assert.equal(bucket.tryTake(), true);
  assert.equal(bucket.tryTake(), false);
  await clock.advance(500);
  assert.equal(bucket.tryTake(), true);
  await clock.advance(60_000);
  assert.equal(bucket.available, 2);
});

Deno.test("TokenBucket.take() waits on the clock and returns the token on abort", async () => {
  const clock = new FakeClock();
  const bucket = new TokenBucket({ qps: 1, burst: 1, clock });
  assert.equal(await bucket.take(), 0);
  const controller = new AbortController();
  const waiting = bucket.take(controller.signal);
  controller.abort(new Error("stop"));
  await assert.rejects(waiting, /stop/);
  await clock.advance(1000);
  assert.equal(bucket.tryTake(), true);
});

Deno.test("TokenBucket rejects nonsense options", () => {
  assert.throws(() => new TokenBucket({ qps: 0, burst: 1 }), RangeError);
  assert.throws(() => new TokenBucket({ qps: 1, burst: 0 }), RangeError);
});
