import assert from "node:assert/strict";
import { FakeClock, flushMicrotasks } from "../../tests/support/fake_clock.ts";
import { Sampler } from "./sampler.ts";

Deno.test("Sampler takes a point at start, every interval, and at stop", async () => {
  const clock = new FakeClock();
  let n = 0;
  const sampler = new Sampler(
    () => Promise.resolve({ t: n++, created: 0, reconciled: 0, ready: 0, requests: 0 }),
    { clock, intervalMs: 250 },
  );
  sampler.start();
  await flushMicrotasks();
  await clock.advance(250);
  await clock.advance(250);
  const points = await sampler.stop();
  assert.deepEqual(points.map((p) => p.t), [0, 1, 2, 3]);
});

Deno.test("Sampler skips a point while a read is in flight and ignores failed reads", async () => {
  const clock = new FakeClock();
  let release: () => void = () => {};
  let calls = 0;
  const sampler = new Sampler(() => {
    calls++;
    if (calls === 1) {
      return new Promise((resolve) =>
        release = () => resolve({ t: 1, created: 0, reconciled: 0, ready: 0, requests: 0 })
      );
    }
    return Promise.reject(new Error("scrape failed"));
  }, { clock, intervalMs: 250 });
  sampler.start();
  await clock.advance(250);
  assert.equal(calls, 1);
  release();
  const points = await sampler.stop();
  assert.equal(points.length, 1);
  assert.equal(calls, 2);
});
