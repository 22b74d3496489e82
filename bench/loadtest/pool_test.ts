import assert from "node:assert/strict";
import { runPool } from "./pool.ts";

Deno.test("runPool() runs every item with at most `concurrency` in flight", async () => {
  let inFlight = 0;
  let peak = 0;
  const done: number[] = [];
  await runPool([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await Promise.resolve();
    await Promise.resolve();
    inFlight--;
    done.push(item);
  });
  assert.equal(peak, 3);
  assert.deepEqual(done.sort(), [1, 2, 3, 4, 5, 6, 7]);
});

Deno.test("runPool() stops starting items after a failure and rejects with it", async () => {
  const started: number[] = [];
  await assert.rejects(
    runPool([0, 1, 2, 3, 4], 1, (item) => {
      started.push(item);
      return item === 1 ? Promise.reject(new Error("boom")) : Promise.resolve();
    }),
    /boom/,
  );
  assert.deepEqual(started, [0, 1]);
});

Deno.test("runPool() stops when the signal aborts and rejects with its reason", async () => {
  const controller = new AbortController();
  const started: number[] = [];
  await assert.rejects(
    runPool([0, 1, 2], 1, (item) => {
      started.push(item);
      controller.abort(new Error("stop"));
      return Promise.resolve();
    }, controller.signal),
    /stop/,
  );
  assert.deepEqual(started, [0]);
});

Deno.test("runPool() rejects a concurrency below 1", async () => {
  await assert.rejects(runPool([1], 0, () => Promise.resolve()), RangeError);
});
