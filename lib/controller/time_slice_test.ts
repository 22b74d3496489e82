import assert from "node:assert/strict";
import { TimeSlice } from "./time_slice.ts";

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
}

Deno.test("TimeSlice lets a timer run between microtask-only workers", async () => {
  const slice = new TimeSlice(5);
  let timerRan = false;
  let stepsBeforeTimer = 0;
  setTimeout(() => (timerRan = true), 0);
  // Two workers whose every step is synchronous work plus resolved promises.
  const worker = async () => {
    for (let i = 0; i < 20; i++) {
      await Promise.resolve();
      busy(1);
      if (!timerRan) stepsBeforeTimer++;
      await slice.pause();
    }
  };
  await Promise.all([worker(), worker()]);
  assert.equal(timerRan, true);
  assert.ok(stepsBeforeTimer < 40, `the timer waited for all ${stepsBeforeTimer} steps`);
});

Deno.test("TimeSlice gives every worker asking during one turn the same promise", () => {
  const slice = new TimeSlice(1000);
  const a = slice.pause();
  assert.ok(a);
  assert.equal(slice.pause(), a);
  return a.then(() => assert.equal(slice.pause(), undefined));
});
