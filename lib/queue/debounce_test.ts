import assert from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { Debouncer } from "./debounce.ts";

function setup(windowMs: number, maxWaitMs?: number) {
  const clock = new FakeClock();
  const delivered: [string, number][] = [];
  const debouncer = new Debouncer<string>((key) => delivered.push([key, clock.now()]), {
    windowMs,
    maxWaitMs,
    clock,
  });
  return { clock, delivered, debouncer };
}

Deno.test("Debouncer coalesces a burst into one delivery after a quiet window", async () => {
  const { clock, delivered, debouncer } = setup(100);
  for (let i = 0; i < 5; i++) {
    debouncer.add("a");
    await clock.advance(30);
  }
  assert.deepEqual(delivered, []);
  assert.equal(debouncer.pending, 1);
  await clock.advance(100);
  assert.deepEqual(delivered, [["a", 220]]);
  assert.equal(debouncer.pending, 0);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("Debouncer keeps keys independent", async () => {
  const { clock, delivered, debouncer } = setup(100);
  debouncer.add("a");
  await clock.advance(50);
  debouncer.add("b");
  await clock.advance(200);
  assert.deepEqual(delivered, [["a", 100], ["b", 150]]);
});

Deno.test("Debouncer delivers a constantly changing key by maxWaitMs", async () => {
  const { clock, delivered, debouncer } = setup(100, 250);
  for (let t = 0; t < 600; t += 50) {
    debouncer.add("a");
    await clock.advance(50);
  }
  assert.deepEqual(delivered, [["a", 250], ["a", 500]]);
  debouncer.close();
});

Deno.test("Debouncer defaults maxWaitMs to ten windows", () => {
  const { debouncer } = setup(20);
  assert.equal(debouncer.maxWaitMs, 200);
});

Deno.test("Debouncer with a zero window passes adds straight through", () => {
  const { clock, delivered, debouncer } = setup(0);
  debouncer.add("a");
  debouncer.add("a");
  assert.deepEqual(delivered, [["a", 0], ["a", 0]]);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("Debouncer.close() cancels timers and ignores later adds", async () => {
  const { clock, delivered, debouncer } = setup(100);
  debouncer.add("a");
  debouncer.add("b");
  debouncer.close();
  assert.equal(debouncer.closed, true);
  assert.equal(clock.pendingTimers, 0);
  debouncer.add("c");
  await clock.advance(1000);
  assert.deepEqual(delivered, []);
});

Deno.test("Debouncer rejects nonsense windows", () => {
  assert.throws(() => new Debouncer(() => {}, { windowMs: -1 }), RangeError);
  assert.throws(() => new Debouncer(() => {}, { windowMs: 100, maxWaitMs: 50 }), RangeError);
  assert.throws(() => new Debouncer(() => {}, { windowMs: Infinity }), RangeError);
});
