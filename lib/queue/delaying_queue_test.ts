import assert from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { DelayingQueue } from "./delaying_queue.ts";
import type { WorkQueueMetrics } from "./queue_metrics.ts";

async function takeAll(q: DelayingQueue<string>): Promise<string[]> {
  const keys: string[] = [];
  while (q.len > 0) {
    const key = await q.get();
    assert.ok(key !== undefined);
    keys.push(key);
    q.done(key);
  }
  return keys;
}

Deno.test("DelayingQueue.addAfter() adds keys when due, in due order, with one timer", async () => {
  const clock = new FakeClock();
  const q = new DelayingQueue<string>({ clock });
  q.addAfter("c", 300);
  q.addAfter("a", 100);
  q.addAfter("b", 200);
  q.addAfter("b2", 200);
  assert.equal(q.delayed, 4);
  assert.equal(q.len, 0);
  assert.equal(clock.pendingTimers, 1);
  await clock.advance(99);
  assert.equal(q.len, 0);
  await clock.advance(1);
  assert.deepEqual(await takeAll(q), ["a"]);
  await clock.advance(100);
  assert.deepEqual(await takeAll(q), ["b", "b2"]);
  await clock.advance(100);
  assert.deepEqual(await takeAll(q), ["c"]);
  assert.equal(q.delayed, 0);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("DelayingQueue.addAfter() moves a key earlier but ignores a later time", async () => {
  const clock = new FakeClock();
  const q = new DelayingQueue<string>({ clock });
  q.addAfter("x", 1000);
  q.addAfter("a", 500);
  q.addAfter("a", 50);
  assert.equal(q.delayed, 2);
  await clock.advance(50);
  assert.deepEqual(await takeAll(q), ["a"]);

  q.addAfter("b", 100);
  q.addAfter("b", 400);
  await clock.advance(100);
  assert.deepEqual(await takeAll(q), ["b"]);
  await clock.advance(850);
  assert.deepEqual(await takeAll(q), ["x"], "b is not added a second time at 450");
});

Deno.test("DelayingQueue.addAfter() with no delay adds at once", async () => {
  const q = new DelayingQueue<string>({ clock: new FakeClock() });
  q.addAfter("a", 0);
  q.addAfter("b", -5);
  assert.equal(q.delayed, 0);
  assert.deepEqual(await takeAll(q), ["a", "b"]);
});

Deno.test("DelayingQueue.addAfter() keeps the highest priority for the due key", async () => {
  const clock = new FakeClock();
  const q = new DelayingQueue<string>({ clock });
  q.add("n");
  q.addAfter("h", 10);
  q.addAfter("h", 20, { priority: "high" });
  await clock.advance(10);
  assert.deepEqual(await takeAll(q), ["h", "n"]);
});

Deno.test("DelayingQueue hands a delayed key to a waiting worker", async () => {
  const clock = new FakeClock();
  const q = new DelayingQueue<string>({ clock });
  const waiting = q.get();
  q.addAfter("a", 10);
  await clock.advance(10);
  assert.equal(await waiting, "a");
});

Deno.test("DelayingQueue.shutDown() cancels the timer and drops delayed keys", async () => {
  const clock = new FakeClock();
  const q = new DelayingQueue<string>({ clock });
  q.addAfter("a", 10);
  q.addAfter("b", 20);
  q.shutDown();
  assert.equal(clock.pendingTimers, 0);
  assert.equal(q.delayed, 0);
  q.addAfter("c", 5);
  assert.equal(clock.pendingTimers, 0);
  await clock.advance(100);
  assert.equal(q.len, 0);
  assert.equal(await q.get(), undefined);
});

Deno.test("DelayingQueue.shutDownWithDrain() cancels the timer too", async () => {
  const clock = new FakeClock();
  const q = new DelayingQueue<string>({ clock });
  q.addAfter("a", 10);
  await q.shutDownWithDrain();
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("DelayingQueue.addAfter() counts a retry in the metrics", () => {
  const retries: string[] = [];
  const sink: WorkQueueMetrics = {
    add() {},
    depth() {},
    get() {},
    done() {},
    retry: (key) => void retries.push(key),
  };
  const clock = new FakeClock();
  const q = new DelayingQueue<string>({ clock, name: "d", metrics: { forQueue: () => sink } });
  q.addAfter("a", 10);
  q.addAfter("a", 0);
  assert.deepEqual(retries, ["a", "a"]);
  q.shutDown();
});

Deno.test("DelayingQueue.addAfter() rejects a non-finite delay and an unknown priority", () => {
  const q = new DelayingQueue<string>({ clock: new FakeClock() });
  assert.throws(() => q.addAfter("a", Number.NaN), RangeError);
  assert.throws(() => q.addAfter("a", Infinity), RangeError);
  // @ts-expect-error: checked at run time too
  assert.throws(() => q.addAfter("a", 10, { priority: "soon" }), RangeError);
});

Deno.test("DelayingQueue keeps due order over many keys moved earlier", async () => {
  const clock = new FakeClock();
  const q = new DelayingQueue<string>({ clock });
  const n = 500;
  // Keys added with descending delays, then every third moved to the front.
  for (let i = 0; i < n; i++) q.addAfter(`k${i}`, 1000 + (n - i));
  for (let i = 0; i < n; i += 3) q.addAfter(`k${i}`, i + 1);
  const expected = [
    ...Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 === 0),
    ...Array.from({ length: n }, (_, i) => n - 1 - i).filter((i) => i % 3 !== 0),
  ].map((i) => `k${i}`);
  const got: string[] = [];
  for (let t = 0; t < 2000 && got.length < n; t++) {
    await clock.advance(1);
    got.push(...await takeAll(q));
  }
  assert.deepEqual(got, expected);
});
