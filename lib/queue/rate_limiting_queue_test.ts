import assert from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { ItemExponentialFailureRateLimiter } from "./rate_limiters.ts";
import { RateLimitingQueue } from "./rate_limiting_queue.ts";

Deno.test("RateLimitingQueue.addRateLimited() waits as the limiter says", async () => {
  const clock = new FakeClock();
  const rateLimiter = new ItemExponentialFailureRateLimiter<string>(10, 1000);
  const q = new RateLimitingQueue<string>({ clock, rateLimiter });
  q.addRateLimited("a");
  assert.equal(q.numRequeues("a"), 1);
  await clock.advance(9);
  assert.equal(q.len, 0);
  await clock.advance(1);
  assert.equal(await q.get(), "a");
  q.addRateLimited("a");
  q.done("a");
  await clock.advance(19);
  assert.equal(q.len, 0);
  await clock.advance(1);
  assert.equal(q.len, 1, "the second retry waits twice as long");
  assert.equal(q.numRequeues("a"), 2);
  q.shutDown();
});

Deno.test("RateLimitingQueue.forget() resets the back-off but keeps the key queued", async () => {
  const clock = new FakeClock();
  const rateLimiter = new ItemExponentialFailureRateLimiter<string>(10, 1000);
  const q = new RateLimitingQueue<string>({ clock, rateLimiter });
  q.addRateLimited("a");
  q.addRateLimited("a");
  q.forget("a");
  assert.equal(q.numRequeues("a"), 0);
  await clock.advance(10);
  assert.equal(q.len, 1);
  q.addRateLimited("b");
  assert.equal(q.numRequeues("b"), 1);
  q.shutDown();
});

Deno.test("RateLimitingQueue uses the default controller limiter on the given clock", async () => {
  const clock = new FakeClock();
  const q = new RateLimitingQueue<string>({ clock });
  q.addRateLimited("a");
  await clock.advance(5);
  assert.equal(await q.get(), "a");
  q.addRateLimited("a", { priority: "high" });
  q.addAfter("b", 1);
  q.add("c");
  q.done("a");
  await clock.advance(10);
  assert.equal(await q.get(), "a");
  assert.equal(await q.get(), "c");
  assert.equal(await q.get(), "b");
  q.shutDown();
});

Deno.test("RateLimitingQueue.addRateLimited() is ignored after shut-down", () => {
  const clock = new FakeClock();
  const q = new RateLimitingQueue<string>({ clock });
  q.shutDown();
  q.addRateLimited("a");
  assert.equal(q.numRequeues("a"), 0);
  assert.equal(clock.pendingTimers, 0);
});
