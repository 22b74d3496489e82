import assert from "node:assert/strict";
import type { Clock, Timer } from "../clock.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { EventLoopLagProbe, LAG_PROBE_INTERVAL_MS } from "./runtime.ts";

/** A FakeClock whose timers fire `skewMs` after they were due, as on a busy loop. */
class LateClock implements Clock {
  skewMs = 0;
  readonly fake = new FakeClock();

  now(): number {
    return this.fake.now() + this.skewMs;
  }
  wallNow(): number {
    return this.fake.wallNow();
  }
  setTimer(fn: () => void, ms: number): Timer {
    return this.fake.setTimer(fn, ms);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.fake.sleep(ms, signal);
  }
}

Deno.test("EventLoopLagProbe measures how late its timer fired", async () => {
  const clock = new LateClock();
  const probe = new EventLoopLagProbe({ clock });
  const stop = new AbortController();
  probe.start(stop.signal);
  await clock.fake.advance(LAG_PROBE_INTERVAL_MS);
  assert.equal(probe.lagMs(), 0);
  clock.skewMs = 30;
  await clock.fake.advance(LAG_PROBE_INTERVAL_MS);
  assert.equal(probe.lagMs(), 30);
  stop.abort();
  assert.equal(clock.fake.pendingTimers, 0);
  assert.equal(probe.running, false);
  assert.equal(probe.lagMs(), 30);
});

Deno.test("EventLoopLagProbe.lagMs() reports an overdue timer before it fires", () => {
  let now = 0;
  const never: Clock = {
    now: () => now,
    wallNow: () => now,
    setTimer: () => ({ cancel() {} }),
    sleep: () => Promise.resolve(),
  };
  const probe = new EventLoopLagProbe({ clock: never, intervalMs: 100 });
  const stop = new AbortController();
  probe.start(stop.signal);
  now = 50;
  assert.equal(probe.lagMs(), 0);
  now = 6100;
  assert.equal(probe.lagMs(), 6000);
  stop.abort();
});

Deno.test("EventLoopLagProbe.start() does nothing on an aborted signal", () => {
  const clock = new FakeClock();
  const probe = new EventLoopLagProbe({ clock });
  probe.start(AbortSignal.abort());
  assert.equal(clock.pendingTimers, 0);
  assert.equal(probe.running, false);
});

Deno.test("EventLoopLagProbe rejects a non-positive interval", () => {
  assert.throws(() => new EventLoopLagProbe({ intervalMs: 0 }), RangeError);
  assert.throws(() => new EventLoopLagProbe({ intervalMs: Infinity }), RangeError);
});
