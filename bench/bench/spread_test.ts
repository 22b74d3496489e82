import assert from "node:assert/strict";
import { formatSpread, ratioSpread, spread } from "./spread.ts";

Deno.test("spread() gives the median and range of the defined values", () => {
  assert.deepEqual(spread([3, undefined, 1, 2]), { median: 2, min: 1, max: 3, count: 3 });
  assert.deepEqual(spread([4, 1, 2, 3]), { median: 2.5, min: 1, max: 4, count: 4 });
  assert.equal(spread([undefined, NaN]), undefined);
});

Deno.test("formatSpread() shows the range only when the runs differ", () => {
  assert.equal(formatSpread(spread([1, 1.5, 2]), 2, " s"), "1.50 s (1.00 s–2.00 s)");
  assert.equal(formatSpread(spread([6, 6, 6]), 2), "6.00");
  assert.equal(formatSpread(undefined), "–");
});

Deno.test("ratioSpread() divides run by run and skips runs that lack either side", () => {
  assert.deepEqual(ratioSpread([2, 3, 4, 5], [1, 3, undefined, 0]), {
    median: 1.5,
    min: 1,
    max: 2,
    count: 2,
  });
});
