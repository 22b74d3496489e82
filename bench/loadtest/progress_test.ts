import assert from "node:assert/strict";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { formatProgress, ProgressDisplay, readyRate } from "./progress.ts";

Deno.test("formatProgress() draws Ready, reconciled and created in the bar with rate and ETA", () => {
  const line = formatProgress(
    { total: 100, created: 100, reconciled: 75, ready: 50, elapsedMs: 10_000 },
    5,
    8,
  );
  assert.equal(
    line,
    "[====--..]    10s  created 100/100  reconciled 75  Ready 50  5.0/s  ETA 10s",
  );
});

Deno.test("formatProgress() says done when all are Ready and shows a note instead of counts", () => {
  const state = { total: 2, created: 2, reconciled: 2, ready: 2, elapsedMs: 125_000 };
  assert.match(formatProgress(state, 0, 4), /\[====\] {2}2m05s .* done$/);
  assert.equal(formatProgress({ ...state, note: "steady" }, 0, 4), "[====]  2m05s  steady");
  assert.match(formatProgress({ ...state, ready: 0 }, 0, 4), /ETA \?$/);
});

Deno.test("readyRate() divides Ready gained by the window's seconds", () => {
  assert.equal(readyRate([]), 0);
  assert.equal(readyRate([{ t: 0, ready: 0 }, { t: 2000, ready: 10 }]), 5);
});

Deno.test("ProgressDisplay redraws one line on a terminal and ends it when stopped", async () => {
  const clock = new FakeClock();
  const out: string[] = [];
  const display = new ProgressDisplay({
    tty: true,
    write: (t) => out.push(t),
    clock,
    intervalMs: 100,
  });
  let ready = 0;
  display.start(() => ({ total: 10, created: 10, reconciled: 10, ready, elapsedMs: 0 }));
  ready = 5;
  await clock.advance(100);
  display.log("hello");
  display.stop();
  display.stop();
  assert.ok(out[0].startsWith("\r\x1b[K["));
  assert.equal(out[1], "\r\x1b[Khello\n");
  assert.equal(out.at(-1), "\n");
  assert.equal(out.filter((t) => t.includes("Ready 5")).length, 3);
});

Deno.test("ProgressDisplay writes plain lines when not on a terminal", async () => {
  const clock = new FakeClock();
  const out: string[] = [];
  const display = new ProgressDisplay({ tty: false, write: (t) => out.push(t), clock });
  display.start(() => ({ total: 1, created: 0, reconciled: 0, ready: 0, elapsedMs: 0 }));
  await clock.advance(5_000);
  await clock.advance(5_000);
  display.stop();
  assert.equal(out.length, 3);
  assert.ok(out.every((l) => l.endsWith("\n") && !l.includes("\r")));
});
