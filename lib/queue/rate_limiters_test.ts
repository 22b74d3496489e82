import assert from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import {
  BucketRateLimiter,
  DEFAULT_BURST,
  defaultControllerRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  MinIntervalRateLimiter,
  type RateLimiter,
} from "./rate_limiters.ts";
import { TokenBucket } from "./token_bucket.ts";

Deno.test("ItemExponentialFailureRateLimiter doubles per key up to the cap", () => {
  const limiter = new ItemExponentialFailureRateLimiter<string>(5, 100);
  assert.deepEqual(
    Array.from({ length: 7 }, () => limiter.when("a")),
    [5, 10, 20, 40, 80, 100, 100],
  );
  assert.equal(limiter.numRequeues("a"), 7);
  assert.equal(limiter.when("b"), 5, "keys are independent");
});

Deno.test("ItemExponentialFailureRateLimiter.forget() starts the key over", () => {
  const limiter = new ItemExponentialFailureRateLimiter<string>();
  limiter.when("a");
  limiter.when("a");
  limiter.forget("a");
  assert.equal(limiter.numRequeues("a"), 0);
  assert.equal(limiter.when("a"), 5);
});

Deno.test("ItemExponentialFailureRateLimiter defaults to 5 ms … 1000 s without overflow", () => {
  const limiter = new ItemExponentialFailureRateLimiter<string>();
  let last = 0;
  for (let i = 0; i < 2000; i++) last = limiter.when("a");
  assert.equal(last, 1_000_000);
});

Deno.test("ItemExponentialFailureRateLimiter rejects nonsense delays", () => {
  assert.throws(() => new ItemExponentialFailureRateLimiter(0), RangeError);
  assert.throws(() => new ItemExponentialFailureRateLimiter(10, 5), RangeError);
  assert.throws(() => new ItemExponentialFailureRateLimiter(5, Infinity), RangeError);
});

Deno.test("BucketRateLimiter allows a burst, then spaces items at 1/qps", async () => {
  const clock = new FakeClock();
  const limiter = new BucketRateLimiter<string>(new TokenBucket({ qps: 10, burst: 3, clock }));
  const delays = ["a", "b", "c", "d", "e"].map((key) => Math.round(limiter.when(key)));
  assert.deepEqual(delays, [0, 0, 0, 100, 200]);
  assert.equal(limiter.numRequeues("a"), 0);
  await clock.advance(10_000);
  assert.equal(limiter.when("a"), 0);
});

Deno.test("MinIntervalRateLimiter spaces items across all keys", async () => {
  const clock = new FakeClock();
  const limiter = new MinIntervalRateLimiter<string>(100, clock);
  assert.deepEqual(["a", "b", "c"].map((key) => limiter.when(key)), [0, 100, 200]);
  await clock.advance(150);
  assert.equal(limiter.when("d"), 150, "the next slot is at 300");
  await clock.advance(1000);
  assert.equal(limiter.when("e"), 0, "no credit is saved up while idle");
  assert.equal(limiter.when("f"), 100);
  assert.throws(() => new MinIntervalRateLimiter(-1), RangeError);
});

Deno.test("MaxOfRateLimiter waits the longest delay and asks every limiter", () => {
  const fixed = (ms: number, requeues: number): RateLimiter<string> & { forgotten: string[] } => {
    const forgotten: string[] = [];
    return {
      forgotten,
      when: () => ms,
      forget: (key) => void forgotten.push(key),
      numRequeues: () => requeues,
    };
  };
  const a = fixed(5, 1);
  const b = fixed(50, 3);
  const limiter = new MaxOfRateLimiter(a, b);
  assert.equal(limiter.when("k"), 50);
  assert.equal(limiter.numRequeues("k"), 3);
  limiter.forget("k");
  assert.deepEqual([a.forgotten, b.forgotten], [["k"], ["k"]]);
  assert.throws(() => new MaxOfRateLimiter(), RangeError);
});

Deno.test("defaultControllerRateLimiter() backs off per key, bounded by 10/s after a burst", () => {
  const clock = new FakeClock();
  const limiter = defaultControllerRateLimiter<string>(clock);
  assert.deepEqual([limiter.when("a"), limiter.when("a"), limiter.when("a")], [5, 10, 20]);
  for (let i = 3; i < DEFAULT_BURST; i++) limiter.when(`k${i}`);
  assert.equal(Math.round(limiter.when("fresh")), 100, "the bucket is empty: 1/10 s");
  assert.equal(Math.round(limiter.when("fresh2")), 200);
  limiter.forget("a");
  assert.equal(limiter.numRequeues("a"), 0);
});
