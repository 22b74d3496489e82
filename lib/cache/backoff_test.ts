import assert from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { Backoff } from "./backoff.ts";

Deno.test("Backoff.next() doubles from 800 ms to the 30 s cap without jitter", () => {
  const backoff = new Backoff({ clock: new FakeClock(), jitter: 0 });
  const delays = Array.from({ length: 8 }, () => backoff.next());
  assert.deepEqual(delays, [800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000]);
});

Deno.test("Backoff.next() adds up to jitter × delay", () => {
  const low = new Backoff({ clock: new FakeClock(), random: () => 0 });
  const high = new Backoff({ clock: new FakeClock(), random: () => 0.5 });
  assert.equal(low.next(), 800);
  assert.equal(high.next(), 1200);
  assert.equal(high.next(), 2400);
});

Deno.test("Backoff resets after a quiet period longer than resetAfterMs", async () => {
  const clock = new FakeClock();
  const backoff = new Backoff({ clock, jitter: 0, resetAfterMs: 120_000 });
  backoff.next();
  backoff.next();
  await clock.advance(60_000);
  assert.equal(backoff.next(), 3200, "within the period: keeps growing");
  await clock.advance(120_001);
  assert.equal(backoff.next(), 800);
});

Deno.test("Backoff rejects nonsense options", () => {
  assert.throws(() => new Backoff({ initialMs: 0 }), RangeError);
  assert.throws(() => new Backoff({ initialMs: 10, maxMs: 5 }), RangeError);
  assert.throws(() => new Backoff({ factor: 0.5 }), RangeError);
  assert.throws(() => new Backoff({ jitter: -1 }), RangeError);
  assert.throws(() => new Backoff({ resetAfterMs: -1 }), RangeError);
});
