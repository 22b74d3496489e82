import assert from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { waitForReady } from "./wait_ready.ts";

function fakeTracker(ready: { n: number; firstStatus?: number }) {
  let resolveAll: () => void = () => {};
  const all = new Promise<void>((r) => (resolveAll = r));
  return {
    tracker: {
      whenReady: () => all,
      get counts() {
        return { seen: 0, firstStatus: ready.firstStatus ?? 0, ready: ready.n };
      },
    },
    finish: () => resolveAll(),
  };
}

const never = new Promise<void>(() => {});

/** Starts waiting on a fake clock; `outcome()` is undefined until the wait ends. */
function waitOnFakeClock(
  ready: { n: number; firstStatus?: number },
  total: number,
  limits: { timeoutMs: number; stallMs: number },
) {
  const clock = new FakeClock();
  const { tracker } = fakeTracker(ready);
  let outcome: string | undefined;
  waitForReady(tracker, total, {
    ...limits,
    tracking: never,
    signal: new AbortController().signal,
    clock,
  }).then((o) => (outcome = o));
  return { clock, outcome: () => outcome };
}

Deno.test("waitForReady() resolves ready when every Database is Ready", async () => {
  const { tracker, finish } = fakeTracker({ n: 0 });
  const waiting = waitForReady(tracker, 1, {
    timeoutMs: 60_000,
    stallMs: 60_000,
    tracking: never,
    signal: new AbortController().signal,
  });
  finish();
  assert.equal(await waiting, "ready");
});

Deno.test("waitForReady() gives up as stalled when the Ready count stops growing", async () => {
  const ready = { n: 3 };
  const { clock, outcome } = waitOnFakeClock(ready, 10, { timeoutMs: 60_000, stallMs: 5_000 });
  await clock.advance(4_000);
  ready.n = 4;
  // The change is seen at the check at 5 s; 5 s without one ends the wait at the check at 11 s.
  await clock.advance(6_000);
  assert.equal(outcome(), undefined);
  await clock.advance(1_000);
  assert.equal(outcome(), "stalled");
});

Deno.test("waitForReady() counts first statuses as progress", async () => {
  const ready = { n: 0, firstStatus: 0 };
  const { clock, outcome } = waitOnFakeClock(ready, 10, { timeoutMs: 60_000, stallMs: 5_000 });
  for (let i = 0; i < 10; i++) {
    ready.firstStatus++;
    await clock.advance(1_000);
  }
  assert.equal(outcome(), undefined);
  await clock.advance(7_000);
  assert.equal(outcome(), "stalled");
});

Deno.test("waitForReady() gives up at the deadline even while Databases still become Ready", async () => {
  const ready = { n: 0 };
  const { clock, outcome } = waitOnFakeClock(ready, 100, { timeoutMs: 3_500, stallMs: 60_000 });
  for (let i = 0; i < 3; i++) {
    ready.n++;
    await clock.advance(1_000);
  }
  assert.equal(outcome(), undefined);
  await clock.advance(1_000);
  assert.equal(outcome(), "timeout");
});

Deno.test("waitForReady() says interrupted when the signal aborts", async () => {
  const { tracker } = fakeTracker({ n: 0 });
  const controller = new AbortController();
  controller.abort();
  const outcome = await waitForReady(tracker, 1, {
    timeoutMs: 60_000,
    stallMs: 60_000,
    tracking: never,
    signal: controller.signal,
  });
  assert.equal(outcome, "interrupted");
});
