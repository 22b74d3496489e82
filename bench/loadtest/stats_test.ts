import assert from "node:assert/strict";
import { quantile, ratio, summarize } from "./stats.ts";

Deno.test("quantile() returns the nearest-rank value", () => {
  const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.equal(quantile(values, 0.5), 5);
  assert.equal(quantile(values, 0.9), 9);
  assert.equal(quantile(values, 0.99), 10);
  assert.equal(quantile(values, 0), 1);
  assert.equal(quantile([7], 0.99), 7);
});

Deno.test("quantile() rejects no values and quantiles outside [0, 1]", () => {
  assert.throws(() => quantile([], 0.5), RangeError);
  assert.throws(() => quantile([1], 1.5), RangeError);
  assert.throws(() => quantile([1], Number.NaN), RangeError);
});

Deno.test("summarize() sorts a copy and reports percentiles, max and mean", () => {
  const values = [3, 1, 2];
  assert.deepEqual(summarize(values), { count: 3, p50: 2, p90: 3, p99: 3, max: 3, mean: 2 });
  assert.deepEqual(values, [3, 1, 2]);
  assert.equal(summarize([]), undefined);
  assert.throws(() => summarize([1, Infinity]), RangeError);
});

Deno.test("ratio() is undefined when the divisor is zero or a side is missing", () => {
  assert.equal(ratio(3, 2), 1.5);
  assert.equal(ratio(3, 0), undefined);
  assert.equal(ratio(undefined, 2), undefined);
});
